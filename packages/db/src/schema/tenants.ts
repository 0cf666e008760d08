import { integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Whoever owns sessions, agents and keys: every API request acts for exactly one tenant. */
export const tenants = pgTable(
  "tenants",
  {
    id: text().primaryKey(),
    /** Operators name tenants (`npm run turnq -- tenants create acme`); unique. */
    name: text().notNull(),
    /** Share of the worker fleet relative to other tenants (fair scheduling); 1 by default. */
    weight: integer().notNull().default(1),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("tenants_name_key").on(t.name)],
);

export type TenantRow = typeof tenants.$inferSelect;
