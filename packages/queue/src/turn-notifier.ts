import type { Redis } from "ioredis";
import { turnChannel } from "./keys.ts";

/**
 * Tells API processes that a turn changed state, so `Prefer: wait` answers at once without holding a
 * database connection or polling. A notification carries no content: waiters re-read the turn.
 */
export function publishTurnChanged(redis: Redis, prefix: string, turnId: string, status: string): Promise<number> {
  return redis.publish(turnChannel(prefix, turnId), status);
}

export interface TurnWatch {
  /** Resolves with the status named by the next change notification, or "timeout" after `ms`. */
  next(ms: number): Promise<string>;
  close(): Promise<void>;
}

export interface TurnWatcher {
  /** Subscribes before returning, so a change that happens right after is not missed. */
  watch(turnId: string): Promise<TurnWatch>;
}

/**
 * One subscriber connection per API process; a channel is subscribed while someone watches it and
 * released after, so subscriptions follow the number of waiting requests.
 */
export function createTurnWatcher(subscriber: Redis, prefix: string): TurnWatcher {
  const watchers = new Map<string, Set<(status: string) => void>>();
  const subscribed = new Map<string, Promise<unknown>>();
  subscriber.on("message", (channel: string, status: string) => {
    const turnId = channel.slice(channel.lastIndexOf(":") + 1);
    for (const notify of watchers.get(turnId) ?? []) notify(status);
  });
  return {
    async watch(turnId) {
      let pending: string | undefined;
      let wake: (() => void) | undefined;
      const notify = (status: string) => {
        pending = status;
        wake?.();
      };
      let set = watchers.get(turnId);
      if (!set) {
        set = new Set();
        watchers.set(turnId, set);
        subscribed.set(turnId, subscriber.subscribe(turnChannel(prefix, turnId)));
      }
      set.add(notify);
      await subscribed.get(turnId);
      const own = set;
      return {
        next(ms) {
          if (pending !== undefined) {
            const status = pending;
            pending = undefined;
            return Promise.resolve(status);
          }
          return new Promise((resolve) => {
            const timer = setTimeout(() => {
              wake = undefined;
              resolve("timeout");
            }, ms);
            wake = () => {
              clearTimeout(timer);
              wake = undefined;
              const status = pending ?? "changed";
              pending = undefined;
              resolve(status);
            };
          });
        },
        async close() {
          wake?.();
          own.delete(notify);
          if (own.size === 0 && watchers.get(turnId) === own) {
            watchers.delete(turnId);
            subscribed.delete(turnId);
            await subscriber.unsubscribe(turnChannel(prefix, turnId)).catch(() => {});
          }
        },
      };
    },
  };
}
