import { eq, sql } from "drizzle-orm";
import type { ErrorCode } from "@turnq/core";
import type { Db } from "../client.ts";
import { assertLease } from "../fencing.ts";
import { turns, type TurnRow } from "../schema/index.ts";
import { createTurnDeliveries } from "../webhooks/turn-deliveries.ts";

/**
 * Ends a turn that cannot succeed (`final`), or hands it back to the queue to be tried again later
 * with the error recorded. Either way only under the caller's lease; the log is left untouched.
 */
export async function settleFailedTurn(
  db: Db,
  args: { turnId: string; lease: number; code: ErrorCode; message: string; final: boolean; refundAttempt?: boolean },
): Promise<{ turn: TurnRow; webhookDeliveries: string[] }> {
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
    // A final failure is an event for the tenant's webhooks, committed with the status.
    return { turn: row!, webhookDeliveries: args.final ? await createTurnDeliveries(tx, args.turnId) : [] };
  });
}
