import { and, eq, inArray, lt, min, sql } from "drizzle-orm";
import type { ErrorCode } from "@turnq/core";
import type { Db } from "./client.ts";
import { assertLease, pending } from "./fencing.ts";
import { sessions, turns, type TurnRow } from "./schema/index.ts";

export type ClaimResult =
  | { kind: "idle" }
  | { kind: "claimed"; turn: TurnRow }
  | { kind: "exhausted"; turn: TurnRow };

/**
 * Takes the session's oldest unfinished turn for this worker: bumps its lease (fencing out any
 * earlier holder) and its attempt count. A turn already claimed `maxAttempts` times (it crashed or
 * failed that often) is marked failed instead, so a poison turn cannot block its session forever.
 * One statement (the row lock comes from the sub-select), so no transaction round trips.
 */
export async function claimNextTurn(db: Db, sessionId: string, maxAttempts: number): Promise<ClaimResult> {
  // In SET, every column reference reads the row as it was, so `spent` is evaluated before the bump.
  const spent = sql`${turns.attempts} >= ${maxAttempts}`;
  const [row] = await db
    .update(turns)
    .set({
      status: sql`case when ${spent} then 'failed' else 'running' end`,
      attempts: sql`case when ${spent} then ${turns.attempts} else ${turns.attempts} + 1 end`,
      lease: sql`case when ${spent} then ${turns.lease} else ${turns.lease} + 1 end`,
      startedAt: sql`coalesce(${turns.startedAt}, now())`,
      errorCode: sql`case when ${spent} then 'turn_attempts_exhausted' else ${turns.errorCode} end`,
      errorMessage: sql`case when ${spent}
        then 'Gave up after ' || ${turns.attempts} || ' attempts' || coalesce('; last error: ' || ${turns.errorMessage}, '') || '. Submit the turn again to retry.'
        else ${turns.errorMessage} end`,
      finishedAt: sql`case when ${spent} then now() else ${turns.finishedAt} end`,
    })
    .where(
      sql`${turns.id} = (select id from turns where session_id = ${sessionId} and status in ('queued', 'running') order by position limit 1 for update)`,
    )
    .returning();
  if (!row) return { kind: "idle" };
  return row.status === "failed" ? { kind: "exhausted", turn: row } : { kind: "claimed", turn: row };
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

/**
 * What may stop a running turn before its next model call, in one read: a cancel request the worker
 * has not heard over Redis, and the session's token budget.
 */
export async function turnGuards(
  db: Db,
  turnId: string,
): Promise<{ cancelRequested: boolean; tokenBudget: number | null; tokensUsed: number } | undefined> {
  const [row] = await db
    .select({ cancelRequestedAt: turns.cancelRequestedAt, tokenBudget: sessions.tokenBudget, tokensUsed: sessions.tokensUsed })
    .from(turns)
    .innerJoin(sessions, eq(sessions.id, turns.sessionId))
    .where(eq(turns.id, turnId));
  return row && { cancelRequested: row.cancelRequestedAt !== null, tokenBudget: row.tokenBudget, tokensUsed: row.tokensUsed };
}
