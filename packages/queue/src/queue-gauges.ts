import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { fairShareKeys } from "./keys.ts";

type Reading = Array<{ value: number; attributes: Record<string, string> }>;

/**
 * Readings for the queue gauges of `createTurnMetrics` (@turnq/telemetry), taken from BullMQ on
 * each collection (a Prometheus scrape): one Redis round trip. Every drain job is one session, so
 * "sessions waiting" counts jobs no worker is running now: waiting, prioritized or delayed (backing
 * off after a retryable failure), plus the sessions parked for their tenant's share (fair
 * scheduling). The values are fleet-wide: every process reports the same number.
 */
export function queueGaugeSources(queue: Queue, redis: Redis, prefix: string): { queueDepth: () => Promise<Reading>; sessionsWaiting: () => Promise<number> } {
  return {
    queueDepth: async () => {
      const counts = await queue.getJobCounts("wait", "prioritized", "delayed", "active");
      return Object.entries(counts).map(([state, value]) => ({ value, attributes: { "turnq.queue.state": state } }));
    },
    sessionsWaiting: async () => {
      const [c, parked] = await Promise.all([
        queue.getJobCounts("wait", "prioritized", "delayed"),
        redis.hget(fairShareKeys(prefix).share, "parked"),
      ]);
      return (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + Math.max(0, Number(parked ?? 0));
    },
  };
}
