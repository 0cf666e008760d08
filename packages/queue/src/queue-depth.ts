import type { Redis } from "ioredis";
import { fairShareKeys, queueListKey } from "./keys.ts";

/**
 * Sessions waiting for a worker, fleet-wide: drain jobs in BullMQ's wait list plus sessions parked
 * for their tenant's share. Read at most every `maxAgeMs` per process and never on a request's path:
 * `current()` answers from the last reading and starts the next one in the background when it is old,
 * so backpressure costs a submit no round trip (the bound is approximate by one reading's age).
 */
export function createQueueDepth(redis: Redis, prefix: string, opts: { maxAgeMs?: number } = {}) {
  const maxAgeMs = opts.maxAgeMs ?? 150;
  const wait = queueListKey(prefix, "wait");
  const share = fairShareKeys(prefix).share;
  let value = 0;
  let readAt = 0;
  let reading: Promise<number> | undefined;
  const read = (): Promise<number> =>
    (reading ??= Promise.all([redis.llen(wait), redis.hget(share, "parked")])
      .then(([waiting, parked]) => {
        value = waiting + Math.max(0, Number(parked ?? 0));
        readAt = Date.now();
        return value;
      })
      .finally(() => {
        reading = undefined;
      }));
  return {
    /** The last reading (0 before the first), refreshed in the background when older than maxAgeMs. */
    current(): number {
      if (Date.now() - readAt > maxAgeMs) read().catch(() => {});
      return value;
    },
    /** A fresh reading, for /readyz. */
    read,
  };
}

export type QueueDepth = ReturnType<typeof createQueueDepth>;
