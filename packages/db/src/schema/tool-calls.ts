import { boolean, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { turns } from "./turns.ts";

/**
 * Intent records for tool calls: written before a tool runs, so a turn redelivered after a crash
 * can tell "never started" from "started, outcome unknown" and never silently runs a side effect twice.
 */
export const toolCalls = pgTable(
  "tool_calls",
  {
    turnId: text()
      .notNull()
      .references(() => turns.id),
    callId: text().notNull(),
    name: text().notNull(),
    argsHash: text().notNull(),
    idempotent: boolean().notNull(),
    startedAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.turnId, t.callId] })],
);
