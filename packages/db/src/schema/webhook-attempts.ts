import { bigserial, boolean, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { webhookDeliveries } from "./webhook-deliveries.ts";

/** One row per HTTP attempt of a delivery: the delivery log. Response bodies are never stored. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    deliveryId: text()
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer().notNull(),
    ok: boolean().notNull(),
    statusCode: integer(),
    /** What went wrong, for a failed attempt (timeout, refused address, HTTP status…); never a body. */
    error: text(),
    latencyMs: integer().notNull(),
    startedAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);

export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
