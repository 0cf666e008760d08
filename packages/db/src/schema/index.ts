export * from "./sessions.ts";
export * from "./turns.ts";
export * from "./messages.ts";
