export * from "./sessions.ts";
export * from "./turns.ts";
export * from "./messages.ts";
export * from "./agents.ts";
export * from "./tool-calls.ts";
export * from "./webhook-endpoints.ts";
export * from "./webhook-deliveries.ts";
export * from "./webhook-attempts.ts";
