import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { drainJob, type DrainJobData } from "./job-catalog.ts";
import { fairShareKeys, sessionDrainKeyParts, sessionEventsChannel, sessionKeys, shardOf, tenantKeys, turnsDoneChannel, type KeySpace } from "./keys.ts";
import { ackScript, enqueueScript, finishScript, settleScript, topUpScript, yieldScript } from "./mailbox-scripts.ts";
import { encodeEventBatch, eventStreamLimits, type LiveEvent } from "./session-events.ts";

export type FinishOutcome = "released" | "more" | "lost";

/** The tenant of drains queued without one (before tenants existed) and of the single-tenant API. */
export const defaultTenantId = "default";

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
    opts?: {
      force?: boolean;
      traceparent?: string | undefined;
      /** Whose share of the workers the session's drain counts against (default: defaultTenantId). */
      tenantId?: string | undefined;
      /** The tenant's weight for fair scheduling; unset keeps the one stored (default 1). */
      weight?: number | undefined;
    },
  ): Promise<{
    jobId: string;
    /** The session had no drain job: this call started one. */
    created: boolean;
    /** The session waits, parked, for its tenant's share of the workers (no drain job yet). */
    parked: boolean;
  }>;
  finish(sessionId: string, jobId: string, tenantId?: string): Promise<FinishOutcome>;
  /**
   * A drain job ran its slice: "parked" (end the job; the session waits in its tenant's parked list)
   * when the tenant is over its share or has other sessions parked (the oldest is promoted in its
   * place), else "requeue" (move the job to the tail of the queue).
   */
  yieldSlice(sessionId: string, jobId: string, tenantId?: string): Promise<"requeue" | "parked" | "lost">;
  /** Promotes a tenant's parked sessions while it is under its share; returns how many. */
  topUp(tenantId: string): Promise<number>;
  /** Tenants that have parked sessions. */
  parkedTenants(): Promise<string[]>;
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
    opts: {
      release: boolean;
      /** Written as one stream entry (encodeEventBatch), in this order. */
      events: LiveEvent[];
      done?: string | undefined;
      tenantId?: string | undefined;
    },
  ): Promise<FinishOutcome>;
}

/**
 * `queues[i]` is shard i's drain queue (drain-queues.ts); a session's drain job goes to its shard's.
 * Fair scheduling is kept per shard (keys.ts fairShareKeys): a session's scripts touch its shard's
 * share hash and its tenant's parked list on that shard, all in the shard's slot when tagged.
 */
export function createMailbox(deps: { redis: Redis; queues: Queue<DrainJobData>[]; space: KeySpace }): Mailbox {
  const { redis, queues, space } = deps;
  const { prefix } = space;
  const keys = (sessionId: string) => sessionKeys(space, sessionId);
  const shards = Array.from({ length: space.shards }, (_, shard) => ({ fair: fairShareKeys(space, shard), drainParts: sessionDrainKeyParts(space, shard) }));
  /** KEYS F, P, PT of a tenant on a shard. */
  const tenant = (shard: number, tenantId: string) => [shards[shard]!.fair.share, tenantKeys(space, shard, tenantId).parked, shards[shard]!.fair.parkedTenants];
  /** KEYS F, P, PT of a session's tenant on the session's shard, and the ARGV that end the script (tenant, dhead, dtail). */
  const fairOf = (sessionId: string, tenantId: string) => {
    const shard = shardOf(space, sessionId);
    return { keys: tenant(shard, tenantId), argv: [tenantId, ...shards[shard]!.drainParts] };
  };
  // defineCommand sends EVALSHA and reloads the script itself after a Redis restart (NOSCRIPT).
  const run = defineScripts(redis);
  const addDrain = (sessionId: string, tenantId: string, jobId: string, traceparent?: string) => {
    const data: DrainJobData = { sessionId, tenantId, ...(traceparent ? { traceparent } : {}) };
    return queues[shardOf(space, sessionId)]!.add(drainJob.name, data, { ...drainJob.options, jobId });
  };
  /** Adds the drain jobs of sessions a script promoted ({session, job id} pairs from `from`). */
  const addPromoted = async (r: (string | number)[], from: number, tenantId: string) => {
    for (let i = from; i + 1 < r.length; i += 2) await addDrain(String(r[i]), tenantId, String(r[i + 1]));
    return (r.length - from) >> 1;
  };
  const outcome = async (r: (string | number)[], tenantId: string): Promise<FinishOutcome> => {
    if (r[0] === 1) await addPromoted(r, 1, tenantId);
    return r[0] === 1 ? "released" : r[0] === 0 ? "more" : "lost";
  };
  return {
    async enqueue(sessionId, turnIds, opts = {}) {
      if (turnIds.length === 0) throw new Error("mailbox.enqueue needs at least one turn id");
      const k = keys(sessionId);
      const tenantId = opts.tenantId ?? defaultTenantId;
      const weight = opts.weight === undefined ? "" : String(opts.weight);
      const [status, jobId] = (await run.enqueue(k.pending, k.drain, ...fairOf(sessionId, tenantId).keys, sessionId, tenantId, weight, ...turnIds)) as [
        number,
        string,
      ];
      // Adding a job id that already exists is a no-op in BullMQ, so `force` is safe: it repairs a
      // drain key whose job was never added (a crash between the script and this call).
      if (status === 1 || (opts.force && status === 0)) await addDrain(sessionId, tenantId, jobId, opts.traceparent);
      return { jobId, created: status === 1, parked: status === 2 };
    },
    async finish(sessionId, jobId, tenantId = defaultTenantId) {
      const k = keys(sessionId);
      const f = fairOf(sessionId, tenantId);
      return outcome((await run.finish(k.pending, k.drain, ...f.keys, jobId, ...f.argv)) as (string | number)[], tenantId);
    },
    async yieldSlice(sessionId, jobId, tenantId = defaultTenantId) {
      const f = fairOf(sessionId, tenantId);
      const r = (await run.yieldSlice(keys(sessionId).drain, ...f.keys, jobId, sessionId, ...f.argv)) as (string | number)[];
      if (r[0] === 0) await addPromoted(r, 1, tenantId);
      return r[0] === 1 ? "requeue" : r[0] === 0 ? "parked" : "lost";
    },
    async topUp(tenantId) {
      // Every shard: a tenant's sessions are parked on their own shards.
      let promoted = 0;
      for (let shard = 0; shard < space.shards; shard++) {
        const r = (await run.topUp(...tenant(shard, tenantId), tenantId, ...shards[shard]!.drainParts)) as string[];
        promoted += await addPromoted(r, 0, tenantId);
      }
      return promoted;
    },
    async parkedTenants() {
      const perShard = await Promise.all(shards.map((s) => redis.smembers(s.fair.parkedTenants)));
      return [...new Set(perShard.flat())];
    },
    async ack(sessionId, jobId, turnIds) {
      const k = keys(sessionId);
      return ((await run.ack(k.pending, k.drain, jobId, ...turnIds)) as number) === 1;
    },
    async settle(sessionId, jobId, turnId, opts) {
      const k = keys(sessionId);
      const tenantId = opts.tenantId ?? defaultTenantId;
      const f = fairOf(sessionId, tenantId);
      const args = [
        k.pending,
        k.drain,
        k.events,
        ...f.keys,
        jobId,
        turnId,
        opts.release ? "1" : "0",
        sessionEventsChannel(prefix, sessionId),
        turnsDoneChannel(prefix),
        opts.done ?? "",
        String(eventStreamLimits.maxLen),
        String(eventStreamLimits.ttlSeconds),
        ...f.argv,
        opts.events.length > 0 ? encodeEventBatch(opts.events) : "",
      ];
      return outcome((await run.settle(...args)) as (string | number)[], tenantId);
    },
    pendingIds(sessionId) {
      return redis.smembers(keys(sessionId).pending);
    },
  };
}

type ScriptFn = (...args: string[]) => Promise<unknown>;
type Scripts = Record<"enqueue" | "finish" | "yieldSlice" | "topUp" | "ack" | "settle", ScriptFn>;

function defineScripts(redis: Redis): Scripts {
  const r = redis as Redis & Record<string, ScriptFn | undefined>;
  if (!r.turnqEnqueue) {
    redis.defineCommand("turnqEnqueue", { numberOfKeys: 5, lua: enqueueScript });
    redis.defineCommand("turnqFinish", { numberOfKeys: 5, lua: finishScript });
    redis.defineCommand("turnqYield", { numberOfKeys: 4, lua: yieldScript });
    redis.defineCommand("turnqTopUp", { numberOfKeys: 3, lua: topUpScript });
    redis.defineCommand("turnqAck", { numberOfKeys: 2, lua: ackScript });
    redis.defineCommand("turnqSettle", { numberOfKeys: 6, lua: settleScript });
  }
  const bound = (name: string): ScriptFn => (...args) => (r[name] as ScriptFn).apply(redis, args);
  return {
    enqueue: bound("turnqEnqueue"),
    finish: bound("turnqFinish"),
    yieldSlice: bound("turnqYield"),
    topUp: bound("turnqTopUp"),
    ack: bound("turnqAck"),
    settle: bound("turnqSettle"),
  };
}
