import { once } from "node:events";
import type { Redis } from "ioredis";
import { sessionEventsChannel, sessionKeys, turnsDoneChannel, type KeySpace } from "./keys.ts";
import { sessionOfTurnDone } from "./turn-notifier.ts";

const sessionEventsKey = (space: KeySpace, sessionId: string) => sessionKeys(space, sessionId).events;

export interface StreamedEvent {
  id: string;
  turnId: string;
  /** Newest durable log seq the emitter knew of, when it said. */
  seq: number | undefined;
  data: string;
}

/**
 * Reads a session's event stream for SSE clients. One shared subscriber connection nudges readers
 * when events arrive; reads are plain XRANGE on the shared command connection, so an idle client
 * holds no Redis connection and a disconnected one costs nothing.
 */
export function createEventReader(redis: Redis, subscriber: Redis, space: KeySpace) {
  const listeners = new Map<string, Set<() => void>>();
  const doneChannel = turnsDoneChannel(space.prefix);
  subscriber.on("message", (channel: string, message: string) => {
    if (listeners.size === 0) return;
    // A turn's final events are announced by its done notification (which this connection receives
    // for the turn watcher anyway), not by a nudge on the session's channel: see the settle script.
    if (channel === doneChannel) {
      const session = sessionOfTurnDone(message);
      if (session === undefined) return;
      channel = sessionEventsChannel(space.prefix, session);
    }
    for (const wake of listeners.get(channel) ?? []) wake();
  });

  async function readAfter(sessionId: string, after: string): Promise<StreamedEvent[]> {
    const rows = await redis.xrange(sessionEventsKey(space, sessionId), `(${after}`, "+", "COUNT", 500);
    return rows.map(([id, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      const seq = f.get("seq");
      return { id, turnId: f.get("turn") ?? "", seq: seq ? Number(seq) : undefined, data: f.get("e") ?? "{}" };
    });
  }

  return {
    /**
     * The live events of one turn the stream still holds (an hour, up to 5,000 a session), oldest
     * first; a stream id starts with its millisecond time, which is what a turn's timeline is built from.
     */
    async ofTurn(sessionId: string, turnId: string): Promise<StreamedEvent[]> {
      const out: StreamedEvent[] = [];
      let cursor = "0";
      for (let read = 0; read < 20; read++) {
        const batch = await readAfter(sessionId, cursor);
        for (const e of batch) if (e.turnId === turnId) out.push(e);
        if (batch.length < 500) break;
        cursor = batch.at(-1)!.id;
      }
      return out;
    },
    /** Id of the newest event, or "0" when the stream is empty. */
    async tailId(sessionId: string): Promise<string> {
      const last = await redis.xrevrange(sessionEventsKey(space, sessionId), "+", "-", "COUNT", 1);
      return last[0]?.[0] ?? "0";
    },
    async isEmpty(sessionId: string): Promise<boolean> {
      return (await redis.xlen(sessionEventsKey(space, sessionId))) === 0;
    },
    /** True when `after` is older than anything the stream still holds (events were trimmed or expired). */
    async missed(sessionId: string, after: string): Promise<boolean> {
      if (after === "0") return false;
      const first = await redis.xrange(sessionEventsKey(space, sessionId), "-", "+", "COUNT", 1);
      const firstId = first[0]?.[0];
      return firstId === undefined ? true : compareIds(firstId, after) > 0 && !(await exists(redis, sessionId, after));
    },
    /** Calls `onEvents` with every event after `after`, then each new batch, until `signal` aborts. */
    async follow(sessionId: string, after: string, onEvents: (events: StreamedEvent[]) => Promise<void>, signal: AbortSignal, idle: () => Promise<void>) {
      const channel = sessionEventsChannel(space.prefix, sessionId);
      let wake: (() => void) | undefined;
      let nudged = true;
      const nudge = () => {
        nudged = true;
        wake?.();
      };
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        // A SUBSCRIBE sent while the connection is still being set up would be lost (see subscribeWhenReady).
        if (subscriber.status !== "ready") await once(subscriber, "ready");
        await subscriber.subscribe(channel);
      }
      set.add(nudge);
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        let cursor = after;
        while (!signal.aborted) {
          if (nudged) {
            nudged = false;
            const events = await readAfter(sessionId, cursor);
            if (events.length > 0) {
              cursor = events.at(-1)!.id;
              await onEvents(events);
              if (events.length === 500) nudged = true;
              continue;
            }
          }
          // A nudge that came in while the last read was running must not wait for the keep-alive.
          if (nudged) continue;
          const woke = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 15_000);
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wake = undefined;
          if (!woke) await idle();
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        set.delete(nudge);
        if (set.size === 0) {
          listeners.delete(channel);
          await subscriber.unsubscribe(channel).catch(() => {});
        }
      }
    },
  };

  async function exists(r: Redis, sessionId: string, id: string): Promise<boolean> {
    return (await r.xrange(sessionEventsKey(space, sessionId), id, id)).length > 0;
  }
}

export type EventReader = ReturnType<typeof createEventReader>;

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}
