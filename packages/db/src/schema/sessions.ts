import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tenants } from "./tenants.ts";

export const sessions = pgTable(
  "sessions",
  {
  id: text().primaryKey(),
  /** The tenant whose key created it; only that tenant's keys see it. */
  tenantId: text()
    .notNull()
    .references(() => tenants.id),
  /** The agent this session talks to (its latest version at each turn); null means the configured default. */
  agentId: text(),
  /** Optional cap on tokens (input + output) this session may spend; null means unlimited. */
  tokenBudget: bigint({ mode: "number" }),
  tokensUsed: bigint({ mode: "number" }).notNull().default(0),
  /** Sum of its turns' cost, in millionths of a US dollar. */
  costMicros: bigint({ mode: "number" }).notNull().default(0),
  metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  /** Position handed to the most recent turn; the next one gets +1 (gapless, under the row lock). */
  lastPosition: integer().notNull().default(0),
  /** Seq of the most recent message; appends take +1.. under the row lock, so seq is gapless. */
  lastSeq: bigint({ mode: "number" }).notNull().default(0),
  createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  // GET /v1/sessions pages a tenant's sessions newest first by id (ids sort by creation time).
  (t) => [index("sessions_tenant_id_idx").on(t.tenantId, t.id)],
);

export type SessionRow = typeof sessions.$inferSelect;
