import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { drainJob, type DrainJobData } from "./job-catalog.ts";
import { sessionEventsChannel, sessionKeys, shardOf, turnsDoneChannel, type KeySpace } from "./keys.ts";
import { ackScript, enqueueScript, finishScript, settleScript } from "./mailbox-scripts.ts";
import { eventStreamLimits } from "./session-events.ts";

export type FinishOutcome = "released" | "more" | "lost";

/**
 * A mailbox per session: the set of its accepted-but-unfinished turns plus at most one drain job.
 * Postgres decides the order (turn position); Redis only decides who drains which session.
 */
export interface Mailbox {
  /**
   * Records the turns and ensures a drain job exists. `force` re-adds the job even if one is recorded.
   * `traceparent` (W3C) is stored on a newly created drain job, so the worker can link its spans to
   * the request that started the session's drain.
   */
  enqueue(
    sessionId: string,
    turnIds: string[],
    opts?: { force?: boolean; traceparent?: string | undefined },
  ): Promise<{ jobId: string; /** The session had no drain job: this call started one. */ created: boolean }>;
  finish(sessionId: string, jobId: string): Promise<FinishOutcome>;
  ack(sessionId: string, jobId: string, turnIds: string[]): Promise<boolean>;
  pendingIds(sessionId: string): Promise<string[]>;
  /**
   * A turn is durably done (or handed back): write its closing events, tell long-pollers (`done`,
   * the message for the turns-done channel), forget it, and with `release` end the session's drain
   * when nothing else is pending. One round trip.
   */
  settle(
    sessionId: string,
    jobId: string,
    turnId: string,
    opts: { release: boolean; events: { seq?: number | undefined; event: object }[]; done?: string | undefined },
  ): Promise<FinishOutcome>;
}

/** `queues[i]` is shard i's drain queue (drain-queues.ts); a session's drain job goes to its shard's. */
export function createMailbox(deps: { redis: Redis; queues: Queue<DrainJobData>[]; space: KeySpace }): Mailbox {
  const { redis, queues, space } = deps;
  const { prefix } = space;
  const keys = (sessionId: string) => sessionKeys(space, sessionId);
  // defineCommand sends EVALSHA and reloads the script itself after a Redis restart (NOSCRIPT).
  const run = defineScripts(redis);
  return {
    async enqueue(sessionId, turnIds, opts = {}) {
      if (turnIds.length === 0) throw new Error("mailbox.enqueue needs at least one turn id");
      const k = keys(sessionId);
      const [created, jobId] = (await run.enqueue(k.pending, k.drain, sessionId, ...turnIds)) as [
        number,
        string,
      ];
      // Adding a job id that already exists is a no-op in BullMQ, so `force` is safe: it repairs a
      // drain key whose job was never added (a crash between the script and this call).
      if (created === 1 || opts.force) {
        const data: DrainJobData = opts.traceparent ? { sessionId, traceparent: opts.traceparent } : { sessionId };
        await queues[shardOf(space, sessionId)]!.add(drainJob.name, data, { ...drainJob.options, jobId });
      }
      return { jobId, created: created === 1 };
    },
    async finish(sessionId, jobId) {
      const k = keys(sessionId);
      const r = (await run.finish(k.pending, k.drain, jobId)) as number;
      return r === 1 ? "released" : r === 0 ? "more" : "lost";
    },
    async ack(sessionId, jobId, turnIds) {
      const k = keys(sessionId);
      return ((await run.ack(k.pending, k.drain, jobId, ...turnIds)) as number) === 1;
    },
    async settle(sessionId, jobId, turnId, opts) {
      const k = keys(sessionId);
      const args = [
        k.pending,
        k.drain,
        k.events,
        jobId,
        turnId,
        opts.release ? "1" : "0",
        sessionEventsChannel(prefix, sessionId),
        turnsDoneChannel(prefix),
        opts.done ?? "",
        String(eventStreamLimits.maxLen),
        String(eventStreamLimits.ttlSeconds),
      ];
      for (const e of opts.events) args.push(e.seq === undefined ? "" : String(e.seq), JSON.stringify(e.event));
      const r = (await run.settle(...args)) as number;
      return r === 1 ? "released" : r === 0 ? "more" : "lost";
    },
    pendingIds(sessionId) {
      return redis.smembers(keys(sessionId).pending);
    },
  };
}

type ScriptFn = (...args: string[]) => Promise<unknown>;

function defineScripts(redis: Redis): { enqueue: ScriptFn; finish: ScriptFn; ack: ScriptFn; settle: ScriptFn } {
  const r = redis as Redis & Record<string, ScriptFn | undefined>;
  if (!r.turnqEnqueue) {
    redis.defineCommand("turnqEnqueue", { numberOfKeys: 2, lua: enqueueScript });
    redis.defineCommand("turnqFinish", { numberOfKeys: 2, lua: finishScript });
    redis.defineCommand("turnqAck", { numberOfKeys: 2, lua: ackScript });
    redis.defineCommand("turnqSettle", { numberOfKeys: 3, lua: settleScript });
  }
  const bound = (name: string): ScriptFn => (...args) => (r[name] as ScriptFn).apply(redis, args);
  return { enqueue: bound("turnqEnqueue"), finish: bound("turnqFinish"), ack: bound("turnqAck"), settle: bound("turnqSettle") };
}
