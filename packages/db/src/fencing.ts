import { inArray, eq, sql } from "drizzle-orm";
import { TurnqError, type MessageContent, type MessageRole } from "@turnq/core";
import type { Db } from "./client.ts";
import { messages, sessions, turns, type MessageRow, type TurnRow } from "./schema/index.ts";

/** A transaction handle, as drizzle passes it to `db.transaction`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Turns that still need work. */
export const pending = inArray(turns.status, ["queued", "running"]);

/** Locks the turn and proves the caller still holds its lease; anything else is a lapsed worker. */
export async function assertLease(tx: Tx, turnId: string, lease: number): Promise<TurnRow> {
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

/**
 * Appends at the end of the session's log; the session row lock keeps seq gapless. `spent` is added
 * to the session's usage in the same statement (one round trip for both).
 */
export async function appendMessages(
  tx: Tx,
  turn: TurnRow,
  items: NewMessage[],
  spent: { tokens: number; costMicros: number } = { tokens: 0, costMicros: 0 },
): Promise<MessageRow[]> {
  if (items.length === 0 && spent.tokens === 0 && spent.costMicros === 0) return [];
  const [bumped] = await tx
    .update(sessions)
    .set({
      lastSeq: sql`${sessions.lastSeq} + ${items.length}`,
      tokensUsed: sql`${sessions.tokensUsed} + ${spent.tokens}`,
      costMicros: sql`${sessions.costMicros} + ${spent.costMicros}`,
    })
    .where(eq(sessions.id, turn.sessionId))
    .returning({ lastSeq: sessions.lastSeq });
  if (items.length === 0) return [];
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
