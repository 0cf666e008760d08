export * from "./tenants.ts";
export * from "./api-keys.ts";
export * from "./sessions.ts";
export * from "./turns.ts";
export * from "./messages.ts";
export * from "./agents.ts";
export * from "./tool-calls.ts";
