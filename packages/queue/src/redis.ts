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
export function createRedis(
  url: string,
  role: RedisRole,
  onError: (err: Error) => void,
  opts: { autoPipelining?: boolean; /** CLIENT SETNAME, re-applied on every reconnect; default turnq-<role>. */ name?: string } = {},
): Redis {
  const redis = new Redis(url, {
    // Commands issued in the same event-loop turn leave in one write (one syscall instead of one
    // each). Only for turnq's own connections: BullMQ's are left as BullMQ expects them.
    enableAutoPipelining: opts.autoPipelining ?? false,
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    connectionName: opts.name ?? `turnq-${role}`,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
  redis.on("error", onError);
  return redis;
}

/**
 * Subscribes `subscriber` to `channel` once the connection is ready, and again after every
 * reconnect. A SUBSCRIBE queued before the connection is set up races ioredis's own set-up commands
 * (CLIENT SETNAME, the ready check): they then fail in subscriber mode, the client reconnects, and the
 * subscription is silently gone (seen here: every long-poll then waited for its 5 s re-check).
 * Returns a function that stops re-subscribing and unsubscribes.
 */
export async function subscribeWhenReady(subscriber: Redis, channel: string): Promise<() => Promise<void>> {
  const resubscribe = () => void subscriber.subscribe(channel).catch(() => {});
  subscriber.on("ready", resubscribe);
  await whenReady(subscriber);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off("ready", resubscribe);
    await subscriber.unsubscribe(channel).catch(() => {});
  };
}

/**
 * Resolves once the connection is ready. Errors on the way (Redis not up yet) are left to the
 * connection's retry strategy; `events.once(redis, "ready")` would reject on the first of them, and
 * a process starting while Redis restarts would die of it.
 */
export function whenReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => redis.once("ready", () => resolve()));
}
