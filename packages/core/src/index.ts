export * from "./errors.ts";
export * from "./ids.ts";
export * from "./turn.ts";
export * from "./env-schema.ts";
export * from "./shutdown.ts";
export * from "./secret-scrubber.ts";
export * from "./http-header-value.ts";
