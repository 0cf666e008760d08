import { and, eq, inArray, lt, min, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { pending } from "../fencing.ts";
import { prepared, toTurnRow, turnColumns, type RawTurn, type Statement } from "../raw-rows.ts";
import { sessions, turns, type TurnRow } from "../schema/index.ts";

/** Reads of turns; each transition lives in its own module beside this one. */

const getTurnStatement: Statement = { operation: "SELECT", collection: "turns", name: "get_turn", text: `select ${turnColumns} from turns where id = $1` };
const getTenantTurnStatement: Statement = {
  operation: "SELECT",
  collection: "turns",
  name: "get_tenant_turn",
  text: `select ${turnColumns} from turns where id = $1 and tenant_id = $2`,
};

/**
 * The turn, when it exists (and, given a tenant, belongs to it). Another tenant's turn reads exactly
 * like a missing one: the same statement, no row.
 */
export async function getTurn(db: Db, id: string, tenantId?: string): Promise<TurnRow | undefined> {
  const [row] =
    tenantId === undefined
      ? await prepared<RawTurn>(db, getTurnStatement, [id])
      : await prepared<RawTurn>(db, getTenantTurnStatement, [id, tenantId]);
  return row && toTurnRow(row);
}

/** How many unfinished turns of the session are ahead of this one (0: it is next or running). */
export async function queuePosition(db: Db, turn: Pick<TurnRow, "sessionId" | "position">): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(turns)
    .where(and(eq(turns.sessionId, turn.sessionId), pending, lt(turns.position, turn.position)));
  return row?.n ?? 0;
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

/** Sessions with unfinished turns accepted before `olderThan`, oldest first: the reconciler's input. */
export async function sessionsWithPendingTurns(
  db: Db,
  opts: { olderThan: Date; limit: number },
): Promise<{ sessionId: string; tenantId: string; turnIds: string[] }[]> {
  const rows = await db
    .select({
      sessionId: turns.sessionId,
      // The tenant whose share of the workers a re-created drain counts against.
      tenantId: sessions.tenantId,
      turnIds: sql<string[]>`array_agg(${turns.id} order by ${turns.position})`,
    })
    .from(turns)
    .innerJoin(sessions, eq(sessions.id, turns.sessionId))
    .where(and(pending, lt(turns.createdAt, opts.olderThan)))
    .groupBy(turns.sessionId, sessions.tenantId)
    .orderBy(min(turns.createdAt))
    .limit(opts.limit);
  return rows;
}
