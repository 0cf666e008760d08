import type { Redis } from "ioredis";
import type { ChannelHub } from "./channel-hub.ts";
import { turnsDoneChannel } from "./keys.ts";

/**
 * A turn reached a final status. `turn` is the turn as stored (JSON of its row) when the sender has
 * it, so a waiting request answers without reading Postgres; without it, waiters read the turn.
 */
export interface TurnDone {
  id: string;
  /**
   * The turn's session. With it, the message also wakes the session's live-event readers
   * (event-reader.ts), so the mailbox's settle sends it instead of a nudge of the session's own.
   */
  sessionId?: string;
  status: string;
  turn?: unknown;
}

/** The id comes first, then the session: receivers find them before parsing the rest. */
export function turnDoneMessage(done: TurnDone): string {
  return JSON.stringify({
    id: done.id,
    ...(done.sessionId === undefined ? {} : { session: done.sessionId }),
    status: done.status,
    ...(done.turn === undefined ? {} : { turn: done.turn }),
  });
}

/** The session named by a turnDoneMessage, read without parsing the message. */
export function sessionOfTurnDone(message: string): string | undefined {
  return /^\{"id":"[^"]*","session":"([^"]+)"/.exec(message)?.[1];
}

/** For senders outside the mailbox's settle script (the API cancelling a queued turn). */
export function publishTurnDone(redis: Redis, prefix: string, done: TurnDone): Promise<number> {
  return redis.publish(turnsDoneChannel(prefix), turnDoneMessage(done));
}

export interface TurnWatch {
  /** Resolves with the notification for the turn, or undefined after `ms` without one. */
  next(ms: number): Promise<TurnDone | undefined>;
  close(): void;
}

export interface TurnWatcher {
  /** Registers at once (no Redis command), so a notification sent right after is not missed. */
  watch(turnId: string): TurnWatch;
  /** Resolves once the process-wide subscription is active. */
  ready: Promise<unknown>;
}

/**
 * One subscription per API process, made once: every final-status notification arrives on one
 * channel and is handed to the requests waiting for that turn (a map in memory), so waiting costs
 * no Redis command per request. Each API process sees every notification; a message is a few
 * hundred bytes, and parsing is skipped for turns nobody here waits for.
 */
export function createTurnWatcher(channels: ChannelHub, prefix: string): TurnWatcher {
  const waiters = new Map<string, Set<(done: TurnDone) => void>>();
  const ready = channels.listen(turnsDoneChannel(prefix), (message) => {
    if (waiters.size === 0) return;
    // The id is the first field; look it up before parsing the whole message.
    const id = /^\{"id":"([^"]+)"/.exec(message)?.[1];
    const set = id === undefined ? undefined : waiters.get(id);
    if (!set) return;
    const done = JSON.parse(message) as TurnDone;
    for (const notify of set) notify(done);
  });
  return {
    ready,
    watch(turnId) {
      let got: TurnDone | undefined;
      let wake: (() => void) | undefined;
      const notify = (done: TurnDone) => {
        got = done;
        wake?.();
      };
      let set = waiters.get(turnId);
      if (!set) waiters.set(turnId, (set = new Set()));
      set.add(notify);
      const own = set;
      return {
        next(ms) {
          if (got) return Promise.resolve(got);
          return new Promise((resolve) => {
            const timer = setTimeout(() => {
              wake = undefined;
              resolve(undefined);
            }, ms);
            wake = () => {
              clearTimeout(timer);
              wake = undefined;
              resolve(got);
            };
          });
        },
        close() {
          wake?.();
          own.delete(notify);
          if (own.size === 0 && waiters.get(turnId) === own) waiters.delete(turnId);
        },
      };
    },
  };
}
