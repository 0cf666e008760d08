import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { WebhookEventType } from "@turnq/core";
import { turns } from "./turns.ts";
import { webhookEndpoints } from "./webhook-endpoints.ts";

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

/**
 * One event for one endpoint (its id is the `webhook-id` header, the same on every attempt). Created
 * in the transaction that gives the turn its final status, at most once per (endpoint, turn, event);
 * delivered at least once by the worker's webhook queue, whose job carries only this id.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text().primaryKey(),
    tenantId: text().notNull(),
    endpointId: text()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    turnId: text()
      .notNull()
      .references(() => turns.id),
    event: text().$type<WebhookEventType>().notNull(),
    status: text().$type<WebhookDeliveryStatus>().notNull().default("pending"),
    /** Attempts made so far (the attempts table has one row each). */
    attempts: integer().notNull().default(0),
    /** Where the retry schedule stands; a manual redelivery starts it again. */
    scheduleStep: integer().notNull().default(0),
    /** When the next attempt is due (pending only); the reconciler re-enqueues rows long overdue. */
    nextAttemptAt: timestamp({ withTimezone: true, mode: "date" }).defaultNow(),
    lastStatusCode: integer(),
    lastError: text(),
    lastLatencyMs: integer(),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    deliveredAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_once_key").on(t.endpointId, t.turnId, t.event),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`status = 'pending'`),
    check("webhook_deliveries_status_check", sql`status in ('pending', 'delivered', 'failed')`),
  ],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
