export * from "./common.ts";
export * from "./sessions.ts";
export * from "./turns.ts";
export * from "./messages.ts";
export * from "./agents.ts";
export * from "./events.ts";
export * from "./health.ts";
export * from "./operations.ts";
export { buildOpenApiDocument } from "./openapi.ts";
