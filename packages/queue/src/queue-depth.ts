import type { Redis } from "ioredis";
import { fairShareKeys, queueListKey, type KeySpace } from "./keys.ts";

/**
 * Sessions waiting for a worker, fleet-wide: drain jobs in BullMQ's wait list plus sessions parked
 * for their tenant's share, summed over the shards (QUEUE_SHARDS). Read at most every `maxAgeMs` per process and never on a request's path:
 * `current()` answers from the last reading and starts the next one in the background when it is old,
 * so backpressure costs a submit no round trip (the bound is approximate by one reading's age).
 */
export function createQueueDepth(redis: Redis, space: KeySpace, opts: { maxAgeMs?: number } = {}) {
  const maxAgeMs = opts.maxAgeMs ?? 150;
  const shards = Array.from({ length: space.shards }, (_, shard) => ({ wait: queueListKey(space, shard, "wait"), share: fairShareKeys(space, shard).share }));
  let value = 0;
  let readAt = 0;
  let reading: Promise<number> | undefined;
  const read = (): Promise<number> =>
    (reading ??= Promise.all(shards.map((s) => Promise.all([redis.llen(s.wait), redis.hget(s.share, "parked")])))
      .then((perShard) => {
        value = perShard.reduce((n, [waiting, parked]) => n + waiting + Math.max(0, Number(parked ?? 0)), 0);
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
