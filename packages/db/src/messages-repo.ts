import { and, asc, desc, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { prepared, toMessageRow, type JsonMessage, type Statement } from "./raw-rows.ts";
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
 * The newest `limit` messages with `afterSeq < seq <= throughSeq`, in seq order. A reader that already
 * holds the log up to `afterSeq` asks only for what is new; when more than `limit` arrived, the oldest
 * of them are skipped (the caller sees the gap from the first returned seq). Reads the primary key
 * backwards, so the cost follows `limit`, never the length of the history.
 */
export async function newestMessagesAfter(
  db: Db,
  sessionId: string,
  opts: { afterSeq: number; limit: number; throughSeq?: number | undefined },
): Promise<MessageRow[]> {
  const bounds = [eq(messages.sessionId, sessionId), gt(messages.seq, opts.afterSeq)];
  if (opts.throughSeq !== undefined) bounds.push(lte(messages.seq, opts.throughSeq));
  const rows = await db
    .select()
    .from(messages)
    .where(and(...bounds))
    .orderBy(desc(messages.seq))
    .limit(opts.limit);
  return rows.reverse();
}

/**
 * The session's latest compaction summary (a system message whose content names the seq range it
 * covers), at or before `throughSeq`. `withinLast` bounds the search to that many newest entries:
 * there is no index on summaries, so an unbounded search walks back to the previous summary, which
 * compaction keeps near but which a never-compacted session does not have.
 */
export async function latestSummary(
  db: Db,
  sessionId: string,
  opts: { throughSeq?: number | undefined; withinLast?: number | undefined } = {},
): Promise<MessageRow | undefined> {
  const bounds = [eq(messages.sessionId, sessionId)];
  if (opts.throughSeq !== undefined) bounds.push(lte(messages.seq, opts.throughSeq));
  // Written to match the partial index messages_summary_idx (migration 0003).
  const isSummary = and(eq(messages.role, "system"), sql`${messages.content} ? 'summary'`);
  if (opts.withinLast === undefined) {
    const [row] = await db.select().from(messages).where(and(...bounds, isSummary)).orderBy(desc(messages.seq)).limit(1);
    return row;
  }
  // A seq range, not a LIMIT subquery: the planner then walks the primary key backwards from the
  // end whatever its statistics say (right after a bulk insert they can be far off).
  const end = db
    .select({ last: sql`max(${messages.seq})` })
    .from(messages)
    .where(and(...bounds));
  const [row] = await db
    .select()
    .from(messages)
    .where(and(...bounds, sql`${messages.seq} > (${end}) - ${opts.withinLast}`, isSummary))
    .orderBy(desc(messages.seq))
    .limit(1);
  return row;
}

/** The messages a turn appended, read within its session's key range (there is no turn_id index). */
export async function messagesOfTurn(db: Db, sessionId: string, turnId: string): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.sessionId, sessionId), eq(messages.turnId, turnId)))
    .orderBy(asc(messages.seq));
}

/**
 * The log entries a worker reads for a session's next window, as SQL with the session in `$s`, the
 * seq it already holds in `$after` and the row count in `$limit`: the newest `$limit` entries after
 * `$after`. Holding nothing (`$after` = 0), entries the latest summary among the newest `$limit`
 * covers are skipped (the summary itself is returned), so a compacted history is read from its
 * summary on. Its cost follows `$limit`, never the length of the history.
 */
export function historyRowsSql(s: string, after: string, limit: string): string {
  return `select session_id, seq, turn_id, role, content, trace_id, created_at from messages
    where session_id = ${s} and seq > greatest(${after}::bigint, case when ${after}::bigint = 0 then coalesce((
      select (content->'summary'->>'toSeq')::bigint from messages
      where session_id = ${s} and role = 'system' and content ? 'summary'
        and seq > (select max(seq) from messages where session_id = ${s}) - ${limit}
      order by seq desc limit 1), 0) else 0 end)
    order by seq desc limit ${limit}`;
}

const historyStatement: Statement = {
  operation: "SELECT",
  collection: "messages",
  name: "read_history",
  text: `select coalesce(json_agg(h order by h.seq), '[]'::json) as rows from (${historyRowsSql("$1", "$2", "$3")}) h`,
};

/** historyRowsSql as a query: the rows in seq order (the claim of a turn reads the same with it). */
export async function readHistory(db: Db, sessionId: string, read: { afterSeq: number; limit: number }): Promise<MessageRow[]> {
  const [row] = await prepared<{ rows: JsonMessage[] }>(db, historyStatement, [sessionId, read.afterSeq, read.limit]);
  return (row?.rows ?? []).map(toMessageRow);
}
