import { and, asc, desc, eq, gt } from "drizzle-orm";
import type { Db } from "./client.ts";
import { messages, type MessageRow } from "./schema/index.ts";

/** A page of the log in seq order, starting after `after`. */
export async function listMessages(
  db: Db,
  sessionId: string,
  opts: { after: number; limit: number },
): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.sessionId, sessionId), gt(messages.seq, opts.after)))
    .orderBy(asc(messages.seq))
    .limit(opts.limit);
}

/**
 * The most recent `limit` messages in seq order. Reads through the primary key from the end, so its
 * cost is the window's size whatever the length of the history.
 */
export async function recentMessages(db: Db, sessionId: string, limit: number): Promise<MessageRow[]> {
  const rows = await db
    .select()
    .from(messages)
    .where(eq(messages.sessionId, sessionId))
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.reverse();
}
