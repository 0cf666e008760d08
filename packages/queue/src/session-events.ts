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
  /** Several events as one stream entry (encodeEventBatch), then the nudge: what a turn held back, with the event that ends the hold. */
  publishBatch(sessionId: string, turnId: string, events: readonly LiveEvent[]): Promise<void>;
}

export const eventStreamLimits = { maxLen: 5_000, ttlSeconds: 3_600 } as const;

/**
 * One live event and the newest durable log seq its emitter knew of (see EventPublisher.publish);
 * `at` (epoch ms) when it is written later than it happened (a held event, follow-signals.ts).
 */
export interface LiveEvent {
  seq?: number | undefined;
  event: object;
  at?: number | undefined;
}

/**
 * Several events written as one stream entry (the `es` field, beside `turn`): a JSON array of
 * `[seq or null, event]`, or `[seq or null, event, at]` for an event written later than it happened,
 * in order. The settle script writes a turn's closing events this way; the event reader splits such
 * an entry back into its events (event-reader.ts), and `at` stays out of what clients are sent.
 */
export function encodeEventBatch(events: readonly LiveEvent[]): string {
  return JSON.stringify(events.map((e) => (e.at === undefined ? [e.seq ?? null, e.event] : [e.seq ?? null, e.event, e.at])));
}

export function createEventPublisher(redis: Redis, space: KeySpace): EventPublisher {
  const { maxLen } = eventStreamLimits;
  /** One entry (`fields` after `turn`), then the nudge. */
  const append = async (sessionId: string, turnId: string, ...fields: string[]) => {
    const added = redis.xadd(sessionKeys(space, sessionId).events, "MAXLEN", "~", maxLen, "*", "turn", turnId, ...fields);
    const nudged = redis.publish(sessionEventsChannel(space.prefix, sessionId), turnId);
    await Promise.all([added, nudged]);
  };
  return {
    publish: (sessionId, turnId, event, seq) => append(sessionId, turnId, "seq", String(seq ?? ""), "e", JSON.stringify(event)),
    publishBatch: (sessionId, turnId, events) => append(sessionId, turnId, "es", encodeEventBatch(events)),
  };
}
