export * from "./client.ts";
export * from "./migrate.ts";
export * from "./sessions-repo.ts";
export * from "./turns-repo.ts";
export * from "./messages-repo.ts";
export * from "./schema/index.ts";
export * from "./agents-repo.ts";
export { traced, describeQuery, instrumentSql } from "./tracing.ts";
