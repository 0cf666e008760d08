import { asc, eq, sql } from "drizzle-orm";
import { TurnqError, type ErrorCode } from "@turnq/core";
import type { Db } from "./client.ts";
import { appendMessages, assertLease, type NewMessage } from "./fencing.ts";
import { messages, sessions, turns, type MessageRow, type TurnRow } from "./schema/index.ts";

/** Appends the turn's messages and marks it completed, in one transaction, only under its lease. */
export async function completeTurn(
  db: Db,
  args: { turnId: string; lease: number; messages: NewMessage[]; output: string },
): Promise<{ turn: TurnRow; messages: MessageRow[] }> {
  return finishTurn(db, { ...args, status: "completed", usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } });
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
    /** Millionths of a US dollar, from the configured prices. */
    costMicros?: number | undefined;
    agentVersion?: number | undefined;
  },
): Promise<{ turn: TurnRow; messages: MessageRow[] }> {
  return db.transaction(async (tx) => {
    const turn = await assertLease(tx, args.turnId, args.lease);
    const appended = await appendMessages(tx, turn, args.messages, {
      tokens: args.usage.inputTokens + args.usage.outputTokens,
      costMicros: args.costMicros ?? 0,
    });
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
        costMicros: args.costMicros ?? 0,
        agentVersion: args.agentVersion ?? null,
        finishedAt: sql`now()`,
      })
      .where(eq(turns.id, turn.id))
      .returning();
    return { turn: done!, messages: appended };
  });
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
