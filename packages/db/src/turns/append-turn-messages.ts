import { TurnqError } from "@turnq/core";
import type { Db } from "../client.ts";
import { appendMessages, assertLease, type NewMessage } from "../fencing.ts";
import type { MessageRow } from "../schema/index.ts";

/** Appends mid-turn (an assistant tool call, tool results), only under the caller's lease. */
export async function appendTurnMessages(
  db: Db,
  args: { turnId: string; lease: number; messages: NewMessage[] },
): Promise<MessageRow[]> {
  return db.transaction(async (tx) => appendMessages(tx, await assertLease(tx, args.turnId, args.lease), args.messages));
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
