import { bigint, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { sessions } from "./sessions.ts";

/**
 * A session's next summary, written ahead by a worker before any turn needed it (the worker's
 * summary-ahead.ts). Not part of the log: a turn that needs a compaction appends it to the log under
 * its own lease when it still continues the log's latest summary, whichever worker runs that turn.
 * One row per session, replaced by the next draft.
 */
export const summaryDrafts = pgTable("summary_drafts", {
  sessionId: text()
    .primaryKey()
    .references(() => sessions.id),
  fromSeq: bigint({ mode: "number" }).notNull(),
  toSeq: bigint({ mode: "number" }).notNull(),
  text: text().notNull(),
  /** The summary call's usage, charged to the turn that appends it. */
  usage: jsonb().$type<{ inputTokens: number; cachedInputTokens: number; outputTokens: number }>().notNull(),
  createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export type SummaryDraftRow = typeof summaryDrafts.$inferSelect;
