import { eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { assertLease } from "../fencing.ts";
import { turns } from "../schema/index.ts";

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
