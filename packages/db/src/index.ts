export * from "./client.ts";
export * from "./db-unavailable.ts";
export * from "./migrate.ts";
export * from "./sessions-repo.ts";
export * from "./tenants-repo.ts";
export * from "./api-keys-repo.ts";
export { type NewMessage } from "./fencing.ts";
// The turn's lifecycle: one module per transition, with the reads beside them.
export * from "./turns/submit-turn.ts";
export * from "./turns/confirm-durable.ts";
export * from "./turns/claim-turn.ts";
export * from "./turns/finish-turn.ts";
export * from "./turns/fail-turn.ts";
export * from "./turns/release-turn.ts";
export * from "./turns/cancel-turn.ts";
export * from "./turns/append-turn-messages.ts";
export * from "./turns/read-turns.ts";
export { reviveTurnRow } from "./raw-rows.ts";
export * from "./tool-intents.ts";
export * from "./messages-repo.ts";
export * from "./schema/index.ts";
export * from "./agents-repo.ts";
export { traced, describeQuery, instrumentSql } from "./tracing.ts";
// Webhooks: endpoints (API), deliveries created with a turn's final status, attempts (worker).
export * from "./webhooks/turn-deliveries.ts";
export * from "./webhooks/endpoints-repo.ts";
export * from "./webhooks/deliveries-repo.ts";
export * from "./webhooks/delivery-attempts.ts";
