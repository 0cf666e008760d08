import type { Sql } from "postgres";
import type { TurnSample } from "./closed-loop.ts";
import type { LlmCall } from "./llm-times.ts";
import { round1, percentile } from "./stats.ts";

/** p50 of each stage of a turn's overhead, ms. A turn's five stages add up to its overhead (end-to-end minus its LLM call); their p50s need not. */
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
  // float8, so postgres.js hands back numbers (numeric arrives as a string).
  const rows = await sql<{ id: string; created: number; started: number | null; finished: number | null }[]>`
    select id,
           (extract(epoch from created_at) * 1000)::float8 as created,
           (extract(epoch from started_at) * 1000)::float8 as started,
           (extract(epoch from finished_at) * 1000)::float8 as finished
      from turns where id = any(${samples.map((s) => s.turnId)})`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  // The loop's times are performance.now(); the database's and the simulator's are wall-clock.
  const wall = (perf: number) => performance.timeOrigin + perf;
  const parts: Record<keyof StageSplit, number[]> = { submit: [], pickup: [], context: [], finish: [], reply: [] };
  for (const s of samples) {
    const row = byId.get(s.turnId);
    const call = llm.get(s.input);
    if (!row || row.started === null || row.finished === null || !call) continue;
    parts.submit.push(row.created - wall(s.sentAt));
    parts.pickup.push(row.started - row.created);
    parts.context.push(call.startedAt - row.started);
    parts.finish.push(row.finished - call.endedAt);
    parts.reply.push(wall(s.doneAt) - row.finished);
  }
  const p50 = (ms: number[]) => round1(percentile(ms, 50));
  return { submit: p50(parts.submit), pickup: p50(parts.pickup), context: p50(parts.context), finish: p50(parts.finish), reply: p50(parts.reply) };
}
