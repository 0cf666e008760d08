import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../client.ts";
import { pending } from "../fencing.ts";
import { toolCalls, turns, type TurnRow } from "../schema/index.ts";

/**
 * A session's turns, newest first (keyset on position), or only its unfinished ones in queue order
 * (the pending index holds exactly those, so that read does not grow with the session's history).
 */
export async function listTurns(
  db: Db,
  sessionId: string,
  opts: { open: boolean; beforePosition?: number | undefined; limit: number },
): Promise<TurnRow[]> {
  if (opts.open) {
    return db.select().from(turns).where(and(eq(turns.sessionId, sessionId), pending)).orderBy(asc(turns.position)).limit(opts.limit);
  }
  const bounds = [eq(turns.sessionId, sessionId)];
  if (opts.beforePosition !== undefined) bounds.push(lt(turns.position, opts.beforePosition));
  return db.select().from(turns).where(and(...bounds)).orderBy(desc(turns.position)).limit(opts.limit);
}

/** The turn just before this one in its session (what it waited behind), if any. */
export async function previousTurn(db: Db, turn: Pick<TurnRow, "sessionId" | "position">): Promise<TurnRow | undefined> {
  if (turn.position <= 1) return undefined;
  const [row] = await db
    .select()
    .from(turns)
    .where(and(eq(turns.sessionId, turn.sessionId), eq(turns.position, turn.position - 1)));
  return row;
}

/** The tool-call intents a turn recorded, in the order they were written. */
export async function toolCallsOfTurn(db: Db, turnId: string) {
  return db
    .select({ callId: toolCalls.callId, name: toolCalls.name, idempotent: toolCalls.idempotent, startedAt: toolCalls.startedAt })
    .from(toolCalls)
    .where(eq(toolCalls.turnId, turnId))
    .orderBy(asc(toolCalls.startedAt), asc(toolCalls.callId));
}
