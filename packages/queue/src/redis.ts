import { Redis } from "ioredis";

export type RedisRole =
  /** Used by BullMQ workers and blocking commands: retry forever while Redis is away (BullMQ's rule). */
  | "worker"
  /** Used on request paths: fail fast so an API request never hangs on a missing Redis. */
  | "producer"
  /** A connection in subscriber mode (pub/sub). */
  | "subscriber";

/**
 * One place that encodes BullMQ's production checklist for connections: `maxRetriesPerRequest: null`
 * for workers, fail-fast producers, and an `error` listener on every connection (an ioredis client
 * without one crashes the process on the first network blip).
 */
export function createRedis(url: string, role: RedisRole, onError: (err: Error) => void, opts: { autoPipelining?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    // Commands issued in the same event-loop turn leave in one write (one syscall instead of one
    // each). Only for turnq's own connections: BullMQ's are left as BullMQ expects them.
    enableAutoPipelining: opts.autoPipelining ?? false,
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    connectionName: `turnq-${role}`,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
  redis.on("error", onError);
  return redis;
}
