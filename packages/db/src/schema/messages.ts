import { sql } from "drizzle-orm";
import { bigint, check, index, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { MessageContent, MessageRole } from "@turnq/core";
import { sessions } from "./sessions.ts";
import { turns } from "./turns.ts";

/** The conversation log. Append-only: triggers in migration 0001 reject UPDATE, DELETE, TRUNCATE. */
export const messages = pgTable(
  "messages",
  {
    sessionId: text()
      .notNull()
      .references(() => sessions.id),
    seq: bigint({ mode: "number" }).notNull(),
    turnId: text()
      .notNull()
      .references(() => turns.id),
    role: text().$type<MessageRole>().notNull(),
    content: jsonb().$type<MessageContent>().notNull(),
    traceId: text(),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.seq] }),
    // A redelivered turn reads back what it already logged.
    index("messages_turn_idx").on(t.turnId),
    // A cold context load finds the latest summary without scanning the session's history.
    index("messages_summary_idx")
      .on(t.sessionId, t.seq)
      .where(sql`role = 'system' and content ? 'summary'`),
    check("messages_role_check", sql`role in ('system', 'user', 'assistant', 'tool')`),
    check("messages_seq_positive", sql`seq >= 1`),
  ],
);

export type MessageRow = typeof messages.$inferSelect;
