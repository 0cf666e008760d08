import { and, eq, inArray, lt, min, sql } from "drizzle-orm";
import type { ErrorCode } from "@turnq/core";
import type { Db } from "./client.ts";
import { assertLease, pending } from "./fencing.ts";
import { historyRowsSql } from "./messages-repo.ts";
import { prepared, toMessageRow, toTurnRow, turnColumns, type JsonMessage, type RawTurn, type Statement } from "./raw-rows.ts";
import { sessions, turns, type MessageRow, type TurnRow } from "./schema/index.ts";

/** What a claim also reads in the same statement, so the turn can start without another round trip. */
export interface ClaimedSession {
  agentId: string | null;
  tokenBudget: number | null;
  tokensUsed: number;
}

export type ClaimResult =
  | { kind: "idle" }
  | { kind: "claimed"; turn: TurnRow; session: ClaimedSession; history: MessageRow[] }
  | { kind: "exhausted"; turn: TurnRow };

/** Which log entries to read with the claim: the newest `limit` with seq > `afterSeq`, in seq order. */
export interface HistoryRead {
  afterSeq: number;
  limit: number;
}

/**
 * Takes the session's oldest unfinished turn: bumps its lease (fencing out any earlier holder) and
 * its attempt count; a turn already claimed `maxAttempts` times (it crashed or failed that often)
 * is marked failed instead, so a poison turn cannot block its session forever. In SET every column
 * reads the row as it was, so `spent` is decided before the bump. The same statement returns what
 * the turn needs to start: the session's agent and budget, and the log entries after `afterSeq`.
 */
const claimStatement: Statement = {
  operation: "UPDATE",
  collection: "turns",
  text: `
with claimed as (
  update turns set
    status = case when attempts >= $2 then 'failed' else 'running' end,
    attempts = case when attempts >= $2 then attempts else attempts + 1 end,
    lease = case when attempts >= $2 then lease else lease + 1 end,
    started_at = coalesce(started_at, now()),
    error_code = case when attempts >= $2 then 'turn_attempts_exhausted' else error_code end,
    error_message = case when attempts >= $2
      then 'Gave up after ' || attempts || ' attempts' || coalesce('; last error: ' || error_message, '') || '. Submit the turn again to retry.'
      else error_message end,
    finished_at = case when attempts >= $2 then now() else finished_at end
  where id = (select id from turns where session_id = $1 and status in ('queued', 'running') order by position limit 1 for update)
  returning ${turnColumns}
)
select c.*, s.agent_id as session_agent_id, s.token_budget as session_token_budget, s.tokens_used as session_tokens_used,
  case when c.status = 'running' then (
    select coalesce(json_agg(h order by h.seq), '[]'::json) from (${historyRowsSql("$1", "$3", "$4")}) h
  ) end as history
from claimed c join sessions s on s.id = c.session_id`,
};

export async function claimNextTurn(db: Db, sessionId: string, maxAttempts: number, read: HistoryRead = { afterSeq: 0, limit: 0 }): Promise<ClaimResult> {
  const [row] = await prepared<
    RawTurn & { session_agent_id: string | null; session_token_budget: string | null; session_tokens_used: string; history: JsonMessage[] | null }
  >(db, claimStatement, [sessionId, maxAttempts, read.afterSeq, read.limit]);
  if (!row) return { kind: "idle" };
  const turn = toTurnRow(row);
  if (turn.status === "failed") return { kind: "exhausted", turn };
  return {
    kind: "claimed",
    turn,
    session: {
      agentId: row.session_agent_id,
      tokenBudget: row.session_token_budget === null ? null : Number(row.session_token_budget),
      tokensUsed: Number(row.session_tokens_used),
    },
    history: (row.history ?? []).map(toMessageRow),
  };
}

/**
 * Ends a turn that cannot succeed (`final`), or hands it back to the queue to be tried again later
 * with the error recorded. Either way only under the caller's lease; the log is left untouched.
 */
export async function settleFailedTurn(
  db: Db,
  args: { turnId: string; lease: number; code: ErrorCode; message: string; final: boolean; refundAttempt?: boolean },
): Promise<TurnRow> {
  return db.transaction(async (tx) => {
    await assertLease(tx, args.turnId, args.lease);
    const [row] = await tx
      .update(turns)
      .set({
        status: args.final ? "failed" : "queued",
        errorCode: args.code,
        errorMessage: args.message,
        finishedAt: args.final ? sql`now()` : null,
        ...(args.refundAttempt ? { attempts: sql`greatest(${turns.attempts} - 1, 0)` } : {}),
      })
      .where(eq(turns.id, args.turnId))
      .returning();
    return row!;
  });
}

/** Sessions with unfinished turns accepted before `olderThan`, oldest first: the reconciler's input. */
export async function sessionsWithPendingTurns(
  db: Db,
  opts: { olderThan: Date; limit: number },
): Promise<{ sessionId: string; turnIds: string[] }[]> {
  const rows = await db
    .select({
      sessionId: turns.sessionId,
      turnIds: sql<string[]>`array_agg(${turns.id} order by ${turns.position})`,
    })
    .from(turns)
    .where(and(pending, lt(turns.createdAt, opts.olderThan)))
    .groupBy(turns.sessionId)
    .orderBy(min(turns.createdAt))
    .limit(opts.limit);
  return rows;
}

/**
 * Hands a claimed turn back untouched (the worker is shutting down): queued again, and the attempt
 * it used is returned, since the turn itself did nothing wrong.
 */
export async function releaseTurn(db: Db, args: { turnId: string; lease: number }): Promise<void> {
  await db.transaction(async (tx) => {
    await assertLease(tx, args.turnId, args.lease);
    await tx
      .update(turns)
      .set({ status: "queued", attempts: sql`greatest(${turns.attempts} - 1, 0)` })
      .where(eq(turns.id, args.turnId));
  });
}

/** Of these turn ids, the ones that need no more work: finished, or unknown to the database. */
export async function finishedTurnIds(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: turns.id })
    .from(turns)
    .where(and(inArray(turns.id, ids), pending));
  const open = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !open.has(id));
}
