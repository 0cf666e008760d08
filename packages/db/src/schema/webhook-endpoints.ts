import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { WebhookEventType } from "@turnq/core";

/**
 * A tenant's webhook endpoint. `secret` signs every delivery (Standard Webhooks, `whsec_…`): it is
 * returned once, by the POST that creates it, and never again by the API or in a log. The circuit
 * breaker's state lives here so every worker of the fleet sees the same one.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text().primaryKey(),
    tenantId: text().notNull(),
    url: text().notNull(),
    description: text(),
    events: text().array().$type<WebhookEventType[]>().notNull(),
    secret: text().notNull(),
    enabled: boolean().notNull().default(true),
    /** Delivery attempts that failed in a row; reset by any success. */
    consecutiveFailures: integer().notNull().default(0),
    /** While in the future, the breaker is open: deliveries wait (they are not dropped) until then. */
    circuitOpenUntil: timestamp({ withTimezone: true, mode: "date" }),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  // The finish of every turn looks up its tenant's enabled endpoints: an index probe, empty for most.
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId).where(sql`enabled`)],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
