import { sql } from "drizzle-orm";
import { createSession, submitTurn, type Db } from "@turnq/db";
import { testTenantId } from "./tenants.ts";

export interface SeedHistoryOptions {
  /** Messages to add, alternating user and assistant. */
  count: number;
  /** The tenant of the new session and turn; default the database handle's test tenant. */
  tenantId?: string;
  /** Append to this session (its log continues gaplessly); default a new session. */
  sessionId?: string | undefined;
  /** Filler words per message after its "message <seq>" label; default 12. */
  words?: number | undefined;
  /** When set, the entry this many places before the end is a summary covering everything before it,
   *  as compaction would have left a long session. */
  summaryKeep?: number | undefined;
}

/**
 * Fills a session's log quickly for benchmarks and tests: one INSERT … SELECT over generate_series
 * in seq order, which the gapless trigger accepts (earlier rows of the statement are visible to it),
 * with the session's seq counter bumped in the same transaction as a real append would.
 */
export async function seedHistory(db: Db, opts: SeedHistoryOptions): Promise<{ sessionId: string; turnId: string; lastSeq: number }> {
  const tenantId = opts.tenantId ?? (await testTenantId(db));
  const sessionId = opts.sessionId ?? (await createSession(db, { metadata: { seeded: true }, tenantId })).id;
  const { turn } = await submitTurn(db, { tenantId, sessionId, input: "seed", requestHash: `seed-${Date.now()}-${Math.random()}` });
  const words = opts.words ?? 12;
  const summaryAt = opts.summaryKeep === undefined ? -1 : opts.summaryKeep;
  const lastSeq = await db.transaction(async (tx) => {
    const bumped = await tx.execute<{ last_seq: string }>(
      sql`update sessions set last_seq = last_seq + ${opts.count} where id = ${sessionId} returning last_seq`,
    );
    const last = Number(bumped[0]!.last_seq);
    const first = last - opts.count + 1;
    const summarySeq = summaryAt < 0 ? -1 : last - summaryAt;
    await tx.execute(sql`
      insert into messages (session_id, seq, turn_id, role, content)
      select ${sessionId}, g, ${turn.id},
        case when g = ${summarySeq} then 'system' when g % 2 = 1 then 'user' else 'assistant' end,
        case when g = ${summarySeq}
          then jsonb_build_object('text', 'Seeded summary of messages 1 to ' || (g - 1),
                                  'summary', jsonb_build_object('fromSeq', 1, 'toSeq', g - 1))
          else jsonb_build_object('text', 'message ' || g || ' ' ||
                 array_to_string(array(select (array['alpha','beta','gamma','delta','omega','tool','window','budget'])[1 + (g * 7 + w) % 8]
                                       from generate_series(1, ${words}) w), ' '))
        end
      from generate_series(${first}::bigint, ${last}::bigint) g
      order by g`);
    // The seeding turn is done: later turns of the session must be claimable after it.
    await tx.execute(sql`update turns set status = 'completed', output = 'seeded', finished_at = now() where id = ${turn.id}`);
    return last;
  });
  return { sessionId, turnId: turn.id, lastSeq };
}
