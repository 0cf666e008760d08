import type { Sql } from "postgres";
import type { TurnSample } from "./closed-loop.ts";
import type { LlmCall } from "./llm-times.ts";
import { round1, percentile } from "./stats.ts";

/** p50 of each stage of a turn's overhead, ms; the stages add up to end-to-end minus the LLM call. */
export interface StageSplit {
  /** Request sent → the turn's insert began (Postgres `created_at`, its transaction's start). */
  submit: number;
  /** → the claim began (`started_at`): commit, 202/enqueue, BullMQ hand-over, the worker's pick-up. */
  pickup: number;
  /** → the LLM request reached the simulator: claim, context read, prompt. */
  context: number;
  /** LLM answer ended → the finish began (`finished_at`): reading the stream's end, the append. */
  finish: number;
  /** → the client had the answer: commit, notification, the API's reply. */
  reply: number;
}

/**
 * Splits each measured turn's overhead at the timestamps Postgres and the simulator already keep,
 * all read from the same machine's clock (ms resolution on the simulator's side). Diagnostic only:
 * it says where an overhead figure comes from, it is no target.
 */
export async function stageSplit(sql: Sql, samples: readonly TurnSample[], llm: ReadonlyMap<string, LlmCall>): Promise<StageSplit | null> {
  if (samples.length === 0) return null;
  const rows = await sql<{ id: string; created: number; started: number | null; finished: number | null }[]>`
    select id,
           extract(epoch from created_at) * 1000 as created,
           extract(epoch from started_at) * 1000 as started,
           extract(epoch from finished_at) * 1000 as finished
      from turns where id = any(${samples.map((s) => s.turnId)})`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  // The loop's times are performance.now(); the database's and the simulator's are wall-clock.
  const wall = (perf: number) => performance.timeOrigin + perf;
  const parts: Record<keyof StageSplit, number[]> = { submit: [], pickup: [], context: [], finish: [], reply: [] };
  for (const s of samples) {
    const row = byId.get(s.turnId);
    const call = llm.get(s.input);
    if (!row || row.started === null || row.finished === null || !call) continue;
    const [created, started, finished] = [Number(row.created), Number(row.started), Number(row.finished)];
    parts.submit.push(created - wall(s.sentAt));
    parts.pickup.push(started - created);
    parts.context.push(call.startedAt - started);
    parts.finish.push(finished - call.endedAt);
    parts.reply.push(wall(s.doneAt) - finished);
  }
  const p50 = (xs: number[]) => round1(percentile(xs, 50));
  return {
    submit: p50(parts.submit),
    pickup: p50(parts.pickup),
    context: p50(parts.context),
    finish: p50(parts.finish),
    reply: p50(parts.reply),
  };
}
