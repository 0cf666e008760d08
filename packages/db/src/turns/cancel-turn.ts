import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { Tx } from "../fencing.ts";
import { turns, type TurnRow } from "../schema/index.ts";
import { createTurnDeliveries } from "../webhooks/turn-deliveries.ts";

/**
 * A queued turn is cancelled on the spot; a running one is flagged, and its worker stops it and
 * records what it had (see the agent loop). Already finished turns are left as they are.
 */
export async function requestCancel(
  tx: Tx,
  turnId: string,
  reason: string,
  /** The caller's tenant: another tenant's turn is not found. Undefined for internal cancels. */
  tenantId?: string,
  /** Receives the webhook deliveries a cancelled queued turn created (committed with the status). */
  deliveries?: string[],
): Promise<TurnRow | undefined> {
  const where = tenantId === undefined ? eq(turns.id, turnId) : and(eq(turns.id, turnId), eq(turns.tenantId, tenantId));
  const [row] = await tx.select().from(turns).where(where).for("update");
  if (!row) return undefined;
  if (row.status === "queued") {
    const [done] = await tx
      .update(turns)
      .set({ status: "cancelled", errorCode: "cancelled", errorMessage: reason, cancelRequestedAt: sql`now()`, finishedAt: sql`now()` })
      .where(eq(turns.id, turnId))
      .returning();
    const ids = await createTurnDeliveries(tx, turnId);
    deliveries?.push(...ids);
    return done;
  }
  if (row.status === "running" && !row.cancelRequestedAt) {
    const [flagged] = await tx.update(turns).set({ cancelRequestedAt: sql`now()`, errorMessage: reason }).where(eq(turns.id, turnId)).returning();
    return flagged;
  }
  return row;
}

/**
 * POST /v1/turns/{id}/cancel, for the caller's tenant (another tenant's turn is not found). Idempotent:
 * cancelling twice, or a finished turn, changes nothing more.
 */
export async function cancelTurn(db: Db, turnId: string, tenantId: string): Promise<{ turn: TurnRow | undefined; webhookDeliveries: string[] }> {
  const webhookDeliveries: string[] = [];
  const turn = await db.transaction((tx) => requestCancel(tx, turnId, "Cancelled by request.", tenantId, webhookDeliveries));
  return { turn, webhookDeliveries };
}
