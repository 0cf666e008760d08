import { Redis } from "ioredis";
import { fairShareKeys, keySpace, tenantKeys } from "@turnq/queue";
import { percentile } from "../bench/stats.ts";
import { createTenantSubmitter } from "./tenant-submitter.ts";

export interface TenantFloodOptions {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** Tenant A's flood: `aTurnsPerSession` turns on each of `aSessions` sessions, all at once (0 sessions: no flood). */
  aSessions: number;
  aTurnsPerSession: number;
  /** Tenant B: one turn every `bEveryMs`, round robin over `bSessions` sessions, `bTurns` in all. */
  bSessions: number;
  bTurns: number;
  bEveryMs: number;
  /** How long every turn gets to finish. */
  deadlineMs: number;
}

export interface TenantFloodFigures {
  /** B's turns accepted while A still had unfinished turns (all of B's without a flood). */
  bTurnsMeasured: number;
  /** B's queue wait, accepted (created_at) → running (started_at), over those turns. */
  bQueueWaitMs: { p50: number; p99: number; max: number };
  /** Median of the drain jobs A held in BullMQ while it had parked sessions (its slots), sampled at B's submits. */
  aDrainJobsHeldMedian: number | null;
  /** A's turns completed per second over B's submissions. */
  aTurnsPerSecDuringB: number | null;
  failedTurns: number;
}

/**
 * The fairness scenario of issue #10, shared by the e2e test and the bench: tenant A floods the
 * fleet over many sessions, then tenant B submits a light, steady stream; B's queue wait is what a
 * fair scheduler keeps short. Turns are submitted as the API does, for any tenant (tenant-submitter.ts).
 */
export async function runTenantFlood(o: TenantFloodOptions): Promise<TenantFloodFigures> {
  const submitter = createTenantSubmitter(o);
  const redis = new Redis(o.redisUrl);
  try {
    const aSessions = await Promise.all(Array.from({ length: o.aSessions }, () => submitter.session("tenant-a")));
    const bSessions = await Promise.all(Array.from({ length: o.bSessions }, () => submitter.session("tenant-b")));
    // Warm-up, not measured: each B session's first turn (the workers' first turns load caches,
    // prepare statements and open connections).
    const warm = await Promise.all(bSessions.map((s) => submitter.submit("tenant-b", s, "warm-up")));
    const warmDeadline = Date.now() + o.deadlineMs;
    while ((await submitter.unfinished(warm)) > 0) {
      if (Date.now() > warmDeadline) throw new Error(`warm-up turns still unfinished after ${o.deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const aTurns: string[] = [];
    const work = Array.from({ length: o.aTurnsPerSession }, (_, round) => aSessions.map((s) => [s, round] as const)).flat();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < work.length) {
          const [s, round] = work[next++]!;
          aTurns.push(await submitter.submit("tenant-a", s, `a ${round}`));
        }
      }),
    );

    const bTurns: string[] = [];
    const aHeld: number[] = [];
    const aFields = tenantKeys(keySpace(o.prefix), 0, await submitter.tenantId("tenant-a")).field;
    const share = fairShareKeys(keySpace(o.prefix), 0).share;
    const aOpenAtStart = aTurns.length > 0 ? await submitter.unfinished(aTurns) : 0;
    const bStart = Date.now();
    for (let i = 0; i < o.bTurns; i++) {
      // Stop early when A's backlog is nearly gone: B's figure is about waiting beside a flood.
      if (aTurns.length > 0 && i % 10 === 0 && (await submitter.unfinished(aTurns)) < aTurns.length / 10) break;
      const tick = Date.now();
      bTurns.push(await submitter.submit("tenant-b", bSessions[i % o.bSessions]!, `b ${i}`));
      const [sched, parked] = await redis.hmget(share, `${aFields}s`, `${aFields}p`);
      if (Number(parked) > 0) aHeld.push(Number(sched));
      await new Promise((r) => setTimeout(r, Math.max(0, o.bEveryMs - (Date.now() - tick))));
    }
    const bEnd = Date.now();
    const aOpenAtEnd = aTurns.length > 0 ? await submitter.unfinished(aTurns) : 0;

    const all = [...aTurns, ...bTurns];
    const deadline = Date.now() + o.deadlineMs;
    while ((await submitter.unfinished(all)) > 0) {
      if (Date.now() > deadline) throw new Error(`turns still unfinished after ${o.deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const times = await submitter.times(all);
    const aLast = aTurns.length > 0 ? Math.max(...aTurns.map((id) => times.get(id)!.finishedAt)) : Number.POSITIVE_INFINITY;
    const during = bTurns.map((id) => times.get(id)!).filter((t) => t.createdAt < aLast);
    const waits = during.map((t) => t.startedAt - t.createdAt);
    return {
      bTurnsMeasured: during.length,
      bQueueWaitMs: { p50: percentile(waits, 50), p99: percentile(waits, 99), max: Math.max(...waits) },
      aDrainJobsHeldMedian: aHeld.length > 0 ? percentile(aHeld, 50) : null,
      aTurnsPerSecDuringB: aTurns.length > 0 ? Math.round(((aOpenAtStart - aOpenAtEnd) * 1000) / (bEnd - bStart)) : null,
      failedTurns: [...times.values()].filter((t) => t.status !== "completed").length,
    };
  } finally {
    redis.disconnect();
    await submitter.close();
  }
}
