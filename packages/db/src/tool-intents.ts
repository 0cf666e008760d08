import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { toolCalls } from "./schema/index.ts";

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
