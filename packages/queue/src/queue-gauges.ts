import type { Queue } from "bullmq";

type Reading = Array<{ value: number; attributes: Record<string, string> }>;

/**
 * Readings for the queue gauges of `createTurnMetrics` (@turnq/telemetry), taken from BullMQ on
 * each collection (a Prometheus scrape): one Redis round trip. Every drain job is one session, so
 * "sessions waiting" counts jobs no worker is running now: waiting, prioritized or delayed (backing
 * off after a retryable failure). The values are fleet-wide: every process reports the same number.
 */
export function queueGaugeSources(queue: Queue): { queueDepth: () => Promise<Reading>; sessionsWaiting: () => Promise<number> } {
  return {
    queueDepth: async () => {
      const counts = await queue.getJobCounts("wait", "prioritized", "delayed", "active");
      return Object.entries(counts).map(([state, value]) => ({ value, attributes: { "turnq.queue.state": state } }));
    },
    sessionsWaiting: async () => {
      const c = await queue.getJobCounts("wait", "prioritized", "delayed");
      return (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
    },
  };
}
