import { idFloor } from "@turnq/core";
import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";

export interface TurnStatsBucket {
  /** Start of the minute, ISO 8601. */
  minute: string;
  turns: number;
  failed: number;
  /** Submit to first start, and first start to finish, in milliseconds (null: no turn of that kind). */
  queueWaitP50: number | null;
  queueWaitP99: number | null;
  durationP50: number | null;
  durationP99: number | null;
}

/**
 * Per-minute queue wait and turn duration percentiles of the turns submitted in the last `minutes`.
 * Turn ids sort by creation time, so the window is a range of the primary key, capped at the
 * newest `maxTurns` turns: the cost is bounded whatever the load or the table's size.
 */
export async function turnStats(db: Db, opts: { tenantId: string; minutes: number; maxTurns: number; now?: number }): Promise<TurnStatsBucket[]> {
  const since = (opts.now ?? Date.now()) - opts.minutes * 60_000;
  const rows = await db.execute<{
    minute: Date | string;
    turns: number;
    failed: number;
    wait_p50: number | null;
    wait_p99: number | null;
    dur_p50: number | null;
    dur_p99: number | null;
  }>(sql`
    with recent as (
      select created_at, started_at, finished_at, status from turns
      where id >= ${idFloor("turn", since)} and tenant_id = ${opts.tenantId} order by id desc limit ${opts.maxTurns}
    )
    select date_trunc('minute', created_at) as minute, count(*)::int as turns,
      count(*) filter (where status = 'failed')::int as failed,
      percentile_cont(0.5) within group (order by extract(epoch from started_at - created_at) * 1000) as wait_p50,
      percentile_cont(0.99) within group (order by extract(epoch from started_at - created_at) * 1000) as wait_p99,
      percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at) * 1000) as dur_p50,
      percentile_cont(0.99) within group (order by extract(epoch from finished_at - started_at) * 1000) as dur_p99
    from recent group by 1 order by 1`);
  const round = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return [...rows].map((r) => ({
    minute: new Date(r.minute).toISOString(),
    turns: r.turns,
    failed: r.failed,
    queueWaitP50: round(r.wait_p50),
    queueWaitP99: round(r.wait_p99),
    durationP50: round(r.dur_p50),
    durationP99: round(r.dur_p99),
  }));
}
