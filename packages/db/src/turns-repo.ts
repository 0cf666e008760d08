import { and, asc, eq, inArray, lt, min, sql } from "drizzle-orm";
import { newId, TurnqError, type ErrorCode, type MessageContent, type MessageRole } from "@turnq/core";
import type { Db } from "./client.ts";
import { messages, sessions, toolCalls, turns, type MessageRow, type TurnRow } from "./schema/index.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const pending = inArray(turns.status, ["queued", "running"]);

export interface SubmitTurnInput {
  sessionId: string;
  input: string;
  idempotencyKey?: string | undefined;
  requestHash: string;
  traceId?: string | undefined;
  traceParent?: string | undefined;
  /** What to do when the session already has unfinished turns. Default "enqueue". */
  onBusy?: "enqueue" | "reject" | "interrupt" | undefined;
}

export interface SubmitTurnResult {
  turn: TurnRow;
  created: boolean;
  /** Running turns that were asked to stop (onBusy "interrupt"); the caller signals their workers. */
  interrupted: string[];
}

/**
 * Stores a turn at the session's next position. The session row lock serialises submits of one
 * session, which makes both the position and the Idempotency-Key check race-free: a second request
 * with the same key waits for the first to commit, then finds its turn.
 */
export async function submitTurn(db: Db, input: SubmitTurnInput): Promise<SubmitTurnResult> {
  return db.transaction(async (tx) => {
    const [session] = await tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, input.sessionId)).for("update");
    if (!session) throw new TurnqError("not_found", `Session ${input.sessionId} does not exist; create it with POST /v1/sessions.`);
    if (input.idempotencyKey !== undefined) {
      const [existing] = await tx
        .select()
        .from(turns)
        .where(and(eq(turns.sessionId, input.sessionId), eq(turns.idempotencyKey, input.idempotencyKey)));
      if (existing) {
        if (existing.requestHash !== input.requestHash) {
          throw new TurnqError(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body; use a new key for a new turn.",
            { details: { turnId: existing.id } },
          );
        }
        return { turn: existing, created: false, interrupted: [] };
      }
    }
    const interrupted = await applyBusyPolicy(tx, input.sessionId, input.onBusy ?? "enqueue");
    const [bumped] = await tx
      .update(sessions)
      .set({ lastPosition: sql`${sessions.lastPosition} + 1` })
      .where(eq(sessions.id, input.sessionId))
      .returning({ position: sessions.lastPosition });
    const [turn] = await tx
      .insert(turns)
      .values({
        id: newId("turn"),
        sessionId: input.sessionId,
        position: bumped!.position,
        input: input.input,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.requestHash,
        traceId: input.traceId ?? null,
        traceParent: input.traceParent ?? null,
      })
      .returning();
    return { turn: turn!, created: true, interrupted };
  });
}

/** Under the session lock: refuse (reject), or stop what is ahead of the new turn (interrupt). */
async function applyBusyPolicy(tx: Tx, sessionId: string, policy: "enqueue" | "reject" | "interrupt"): Promise<string[]> {
  if (policy === "enqueue") return [];
  const ahead = await tx
    .select({ id: turns.id, status: turns.status })
    .from(turns)
    .where(and(eq(turns.sessionId, sessionId), pending))
    .orderBy(asc(turns.position));
  if (ahead.length === 0) return [];
  if (policy === "reject") {
    throw new TurnqError("session_busy", "The session already has a turn in progress; wait for it, or submit with onBusy \"enqueue\" or \"interrupt\".", {
      details: { turnId: ahead[0]!.id },
    });
  }
  for (const t of ahead) await requestCancel(tx, t.id, "Interrupted by a newer turn (onBusy: interrupt).");
  return ahead.filter((t) => t.status === "running").map((t) => t.id);
}

/**
 * A queued turn is cancelled on the spot; a running one is flagged, and its worker stops it and
 * records what it had (see the agent loop). Already finished turns are left as they are.
 */
async function requestCancel(tx: Tx, turnId: string, reason: string): Promise<TurnRow | undefined> {
  const [row] = await tx.select().from(turns).where(eq(turns.id, turnId)).for("update");
  if (!row) return undefined;
  if (row.status === "queued") {
    const [done] = await tx
      .update(turns)
      .set({ status: "cancelled", errorCode: "cancelled", errorMessage: reason, cancelRequestedAt: sql`now()`, finishedAt: sql`now()` })
      .where(eq(turns.id, turnId))
      .returning();
    return done;
  }
  if (row.status === "running" && !row.cancelRequestedAt) {
    const [flagged] = await tx.update(turns).set({ cancelRequestedAt: sql`now()`, errorMessage: reason }).where(eq(turns.id, turnId)).returning();
    return flagged;
  }
  return row;
}

/** POST /v1/turns/{id}/cancel. Idempotent: cancelling twice, or a finished turn, changes nothing more. */
export async function cancelTurn(db: Db, turnId: string): Promise<TurnRow | undefined> {
  return db.transaction((tx) => requestCancel(tx, turnId, "Cancelled by request."));
}

/** How many unfinished turns of the session are ahead of this one (0: it is next or running). */
export async function queuePosition(db: Db, turn: Pick<TurnRow, "sessionId" | "position">): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(turns)
    .where(and(eq(turns.sessionId, turn.sessionId), pending, lt(turns.position, turn.position)));
  return row?.n ?? 0;
}

export async function getTurn(db: Db, id: string): Promise<TurnRow | undefined> {
  const [row] = await db.select().from(turns).where(eq(turns.id, id));
  return row;
}

export type ClaimResult =
  | { kind: "idle" }
  | { kind: "claimed"; turn: TurnRow }
  | { kind: "exhausted"; turn: TurnRow };

/**
 * Takes the session's oldest unfinished turn for this worker: bumps its lease (fencing out any
 * earlier holder) and its attempt count. A turn already claimed `maxAttempts` times (it crashed or
 * failed that often) is marked failed instead, so a poison turn cannot block its session forever.
 */
export async function claimNextTurn(db: Db, sessionId: string, maxAttempts: number): Promise<ClaimResult> {
  return db.transaction(async (tx) => {
    const [next] = await tx
      .select()
      .from(turns)
      .where(and(eq(turns.sessionId, sessionId), pending))
      .orderBy(asc(turns.position))
      .limit(1)
      .for("update");
    if (!next) return { kind: "idle" };
    if (next.attempts >= maxAttempts) {
      const [failed] = await tx
        .update(turns)
        .set({
          status: "failed",
          errorCode: "turn_attempts_exhausted",
          errorMessage: `Gave up after ${next.attempts} attempts${next.errorMessage ? `; last error: ${next.errorMessage}` : ""}. Submit the turn again to retry.`,
          finishedAt: sql`now()`,
        })
        .where(eq(turns.id, next.id))
        .returning();
      return { kind: "exhausted", turn: failed! };
    }
    const [claimed] = await tx
      .update(turns)
      .set({
        status: "running",
        attempts: sql`${turns.attempts} + 1`,
        lease: sql`${turns.lease} + 1`,
        startedAt: sql`coalesce(${turns.startedAt}, now())`,
      })
      .where(eq(turns.id, next.id))
      .returning();
    return { kind: "claimed", turn: claimed! };
  });
}

/** Locks the turn and proves the caller still holds its lease; anything else is a lapsed worker. */
async function assertLease(tx: Tx, turnId: string, lease: number): Promise<TurnRow> {
  const [row] = await tx.select().from(turns).where(eq(turns.id, turnId)).for("update");
  if (!row || row.lease !== lease || row.status !== "running") {
    throw new TurnqError("lease_lost", `Turn ${turnId} is no longer held by this worker (lease ${lease}); stopping.`);
  }
  return row;
}

export interface NewMessage {
  role: MessageRole;
  content: MessageContent;
}

/** Appends at the end of the session's log; the session row lock keeps seq gapless. */
async function appendMessages(tx: Tx, turn: TurnRow, items: NewMessage[]): Promise<MessageRow[]> {
  if (items.length === 0) return [];
  const [bumped] = await tx
    .update(sessions)
    .set({ lastSeq: sql`${sessions.lastSeq} + ${items.length}` })
    .where(eq(sessions.id, turn.sessionId))
    .returning({ lastSeq: sessions.lastSeq });
  const first = bumped!.lastSeq - items.length + 1;
  return tx
    .insert(messages)
    .values(
      items.map((m, i) => ({
        sessionId: turn.sessionId,
        seq: first + i,
        turnId: turn.id,
        role: m.role,
        content: m.content,
        traceId: turn.traceId,
      })),
    )
    .returning();
}

/** Appends the turn's messages and marks it completed, in one transaction, only under its lease. */
export async function completeTurn(
  db: Db,
  args: { turnId: string; lease: number; messages: NewMessage[]; output: string },
): Promise<{ turn: TurnRow; messages: MessageRow[] }> {
  return finishTurn(db, { ...args, status: "completed", usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } });
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

/** The messages a turn has appended so far (a redelivered turn continues from them). */
export async function turnMessages(db: Db, turnId: string): Promise<MessageRow[]> {
  return db.select().from(messages).where(eq(messages.turnId, turnId)).orderBy(asc(messages.seq));
}

/** Appends mid-turn (an assistant tool call, tool results), only under the caller's lease. */
export async function appendTurnMessages(
  db: Db,
  args: { turnId: string; lease: number; messages: NewMessage[] },
): Promise<MessageRow[]> {
  return db.transaction(async (tx) => appendMessages(tx, await assertLease(tx, args.turnId, args.lease), args.messages));
}

export interface TurnUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/**
 * Ends a running turn: appends its last messages, records its usage on the turn and the session,
 * and sets the final status, all in one transaction under the caller's lease.
 */
export async function finishTurn(
  db: Db,
  args: {
    turnId: string;
    lease: number;
    messages: NewMessage[];
    status: "completed" | "cancelled" | "failed";
    output: string | null;
    error?: { code: ErrorCode; message: string } | undefined;
    usage: TurnUsage;
    agentVersion?: number | undefined;
  },
): Promise<{ turn: TurnRow; messages: MessageRow[] }> {
  return db.transaction(async (tx) => {
    const turn = await assertLease(tx, args.turnId, args.lease);
    const appended = await appendMessages(tx, turn, args.messages);
    const spent = args.usage.inputTokens + args.usage.outputTokens;
    if (spent > 0) {
      await tx
        .update(sessions)
        .set({ tokensUsed: sql`${sessions.tokensUsed} + ${spent}` })
        .where(eq(sessions.id, turn.sessionId));
    }
    const [done] = await tx
      .update(turns)
      .set({
        status: args.status,
        output: args.output,
        errorCode: args.error?.code ?? null,
        errorMessage: args.error?.message ?? null,
        inputTokens: args.usage.inputTokens,
        cachedInputTokens: args.usage.cachedInputTokens,
        outputTokens: args.usage.outputTokens,
        agentVersion: args.agentVersion ?? null,
        finishedAt: sql`now()`,
      })
      .where(eq(turns.id, turn.id))
      .returning();
    return { turn: done!, messages: appended };
  });
}

/** Records that these tool calls are about to run; existing records are kept (first intent wins). */
export async function recordToolIntents(
  db: Db,
  turnId: string,
  calls: { callId: string; name: string; argsHash: string; idempotent: boolean }[],
): Promise<void> {
  if (calls.length === 0) return;
  await db
    .insert(toolCalls)
    .values(calls.map((c) => ({ turnId, ...c })))
    .onConflictDoNothing();
}

export async function toolIntentIds(db: Db, turnId: string): Promise<Set<string>> {
  const rows = await db.select({ callId: toolCalls.callId }).from(toolCalls).where(eq(toolCalls.turnId, turnId));
  return new Set(rows.map((r) => r.callId));
}

/**
 * Appends a compaction summary as its own log entry, only under the caller's lease (like every other
 * append of a turn). The entry names the inclusive seq range it stands for; nothing in that range is
 * touched, so the full history stays readable and a past prompt can be rebuilt from the log alone.
 */
export async function appendSummary(
  db: Db,
  args: { turnId: string; lease: number; text: string; fromSeq: number; toSeq: number },
): Promise<MessageRow> {
  if (!Number.isInteger(args.fromSeq) || !Number.isInteger(args.toSeq) || args.fromSeq < 1 || args.toSeq < args.fromSeq) {
    throw new TurnqError("internal", `A summary must cover a seq range 1 <= fromSeq <= toSeq; got ${args.fromSeq}..${args.toSeq}.`);
  }
  return db.transaction(async (tx) => {
    const turn = await assertLease(tx, args.turnId, args.lease);
    const [entry] = await appendMessages(tx, turn, [
      { role: "system", content: { text: args.text, summary: { fromSeq: args.fromSeq, toSeq: args.toSeq } } },
    ]);
    // Checked after the append, under the session lock it took: the range must already be logged.
    if (args.toSeq >= entry!.seq) {
      throw new TurnqError("internal", `A summary can only cover messages already in the log (up to ${entry!.seq - 1}); got toSeq ${args.toSeq}.`);
    }
    return entry!;
  });
}
