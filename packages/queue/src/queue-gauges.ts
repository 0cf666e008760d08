import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { fairShareKeys, type KeySpace } from "./keys.ts";

type Reading = Array<{ value: number; attributes: Record<string, string> }>;

/**
 * Readings for the queue gauges of `createTurnMetrics` (@turnq/telemetry), taken from BullMQ on
 * each collection (a Prometheus scrape): one Redis round trip per shard, summed over the shards.
 * Every drain job is one session, so "sessions waiting" counts jobs no worker is running now:
 * waiting, prioritized or delayed (backing off after a retryable failure), plus the sessions parked
 * for their tenant's share (fair scheduling, kept per shard). The values are fleet-wide: every
 * process reports the same number.
 */
export function queueGaugeSources(
  queues: Queue[],
  redis: Redis,
  space: KeySpace,
): { queueDepth: () => Promise<Reading>; sessionsWaiting: () => Promise<number> } {
  const sum = async (...states: ("wait" | "prioritized" | "delayed" | "active")[]) => {
    const perShard = await Promise.all(queues.map((q) => q.getJobCounts(...states)));
    const total: Record<string, number> = Object.fromEntries(states.map((s) => [s, 0]));
    for (const counts of perShard) for (const s of states) total[s]! += counts[s] ?? 0;
    return total;
  };
  const shares = queues.map((_, shard) => fairShareKeys(space, shard).share);
  const parked = async () => (await Promise.all(shares.map((share) => redis.hget(share, "parked")))).reduce((n, v) => n + Math.max(0, Number(v ?? 0)), 0);
  return {
    queueDepth: async () => {
      const counts = await sum("wait", "prioritized", "delayed", "active");
      return Object.entries(counts).map(([state, value]) => ({ value, attributes: { "turnq.queue.state": state } }));
    },
    sessionsWaiting: async () => {
      const [c, p] = await Promise.all([sum("wait", "prioritized", "delayed"), parked()]);
      return c.wait! + c.prioritized! + c.delayed! + p;
    },
  };
}
