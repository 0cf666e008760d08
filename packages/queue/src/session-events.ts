import type { Redis } from "ioredis";
import { sessionEventsChannel, sessionKeys, type KeySpace } from "./keys.ts";

/**
 * A capped Redis stream of live events per session (status changes, text deltas, tool progress),
 * plus a pub/sub nudge so API processes read it only when something arrived. Durable facts are in
 * Postgres too; this stream is for watching, and keeps at most `maxLen` entries for `ttlSeconds`
 * (an entry is one event, or a turn's closing events together: encodeEventBatch).
 * The events that end a turn are written by the mailbox's `settle` script, together with the rest
 * of the turn's hand-off (see mailbox-scripts.ts).
 */
export interface EventPublisher {
  /**
   * XADD, then the nudge, sent back to back on one connection (in order, one wait). Two plain
   * commands: an ioredis pipeline object copies every script defined on the connection (BullMQ
   * defines dozens), which cost more CPU than the second write saves. The stream's expiry is renewed by the
   * settle script at the end of every turn, and every accepted turn ends (a crashed one is run again),
   * so a stream created mid-turn gets its expiry too.
   */
  publish(sessionId: string, turnId: string, event: { type: string } & Record<string, unknown>, seq?: number): Promise<void>;
}

export const eventStreamLimits = { maxLen: 5_000, ttlSeconds: 3_600 } as const;

/** One live event and the newest durable log seq its emitter knew of (see EventPublisher.publish). */
export interface LiveEvent {
  seq?: number | undefined;
  event: object;
}

/**
 * Several events written as one stream entry (the `es` field, beside `turn`): a JSON array of
 * `[seq or null, event]`, in order. The settle script writes a turn's closing events this way; the
 * event reader splits such an entry back into its events (event-reader.ts).
 */
export function encodeEventBatch(events: readonly LiveEvent[]): string {
  return JSON.stringify(events.map((e) => [e.seq ?? null, e.event]));
}

export function createEventPublisher(redis: Redis, space: KeySpace): EventPublisher {
  const { maxLen } = eventStreamLimits;
  return {
    async publish(sessionId, turnId, event, seq) {
      const key = sessionKeys(space, sessionId).events;
      const added = redis.xadd(key, "MAXLEN", "~", maxLen, "*", "turn", turnId, "seq", String(seq ?? ""), "e", JSON.stringify(event));
      const nudged = redis.publish(sessionEventsChannel(space.prefix, sessionId), turnId);
      await Promise.all([added, nudged]);
    },
  };
}

/**
 * Whether anyone follows a session's live events. While an SSE reader follows a session, its API
 * process keeps the session's `watched` key (keys.ts) alive: set when the reader starts, renewed every
 * `renewMs`, gone `ttlMs` after the last reader left. A worker streaming an answer writes its text
 * deltas only while the key exists (DeltaBatcher): written with nobody following, they would cost two
 * Redis commands per 20 ms of every answer and be read by no one. Every other event is written
 * whatever the key says, and so is the first delta of each model call (a turn's timeline reads the
 * time to first token from it).
 */
export const watchMarks = { ttlMs: 60_000, renewMs: 20_000, probeEveryMs: 1_000 } as const;

export interface WatchProbe {
  /**
   * A turn's view of whether its session is followed: true until a check says otherwise, checked
   * (one EXISTS) at most every `probeEveryMs` and only when asked, so a turn that never streams a
   * second batch of text costs nothing (not even the key's name). A check that fails reads as followed.
   */
  followed(sessionId: string): () => boolean;
}

export function createWatchProbe(redis: Redis, space: KeySpace): WatchProbe {
  return {
    followed(sessionId) {
      let followed = true;
      let checkedAt = Number.NEGATIVE_INFINITY;
      let checking = false;
      const settle = (answer: boolean) => {
        followed = answer;
        checking = false;
      };
      return () => {
        const now = Date.now();
        if (!checking && now - checkedAt >= watchMarks.probeEveryMs) {
          checking = true;
          checkedAt = now;
          redis.exists(sessionKeys(space, sessionId).watched).then((n) => settle(n > 0), () => settle(true));
        }
        return followed;
      };
    },
  };
}

/** The API's side: marks a session followed while `follow` runs (see watchMarks). */
export function markWatched(redis: Redis, space: KeySpace, sessionId: string): Promise<unknown> {
  return redis.set(sessionKeys(space, sessionId).watched, "1", "PX", watchMarks.ttlMs);
}
