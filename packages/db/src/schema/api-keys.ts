import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { tenants } from "./tenants.ts";

/**
 * API keys. The key itself is never stored: only its SHA-256 (requests are looked up by it) and its
 * visible prefix (`tq_live_` + 8 characters) that operators see and revoke by.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id),
    prefix: text().notNull(),
    hash: text().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Set once; a revoked key is refused by every API process within a second. */
    revokedAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("api_keys_hash_key").on(t.hash), uniqueIndex("api_keys_prefix_key").on(t.prefix), index("api_keys_tenant_idx").on(t.tenantId)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
