import type { Redis } from "ioredis";

/**
 * A capped Redis stream of live events per session (status changes, text deltas, tool progress),
 * plus a pub/sub nudge so API processes read it only when something arrived. Durable facts are in
 * Postgres too; this stream is for watching, and keeps at most `maxLen` events for `ttlSeconds`.
 */
export function sessionEventsKey(prefix: string, sessionId: string): string {
  return `${prefix}:s:{${sessionId}}:events`;
}

export function sessionEventsChannel(prefix: string, sessionId: string): string {
  return `${prefix}:events:${sessionId}`;
}

export interface EventPublisher {
  publish(sessionId: string, turnId: string, event: { type: string } & Record<string, unknown>, seq?: number): Promise<void>;
}

export function createEventPublisher(redis: Redis, prefix: string, opts: { maxLen?: number; ttlSeconds?: number } = {}): EventPublisher {
  const maxLen = opts.maxLen ?? 5_000;
  const ttl = opts.ttlSeconds ?? 3_600;
  return {
    async publish(sessionId, turnId, event, seq) {
      const key = sessionEventsKey(prefix, sessionId);
      await redis
        .multi()
        .xadd(key, "MAXLEN", "~", maxLen, "*", "turn", turnId, "seq", String(seq ?? ""), "e", JSON.stringify(event))
        .expire(key, ttl)
        .publish(sessionEventsChannel(prefix, sessionId), turnId)
        .exec();
    },
  };
}
