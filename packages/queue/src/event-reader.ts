import type { Redis } from "ioredis";
import type { ChannelHub } from "./channel-hub.ts";
import { sessionEventsChannel, sessionKeys, turnsDoneChannel, type KeySpace } from "./keys.ts";
import { followMarks, markFollowed } from "./follow-signals.ts";
import { sessionOfTurnDone } from "./turn-notifier.ts";

const sessionEventsKey = (space: KeySpace, sessionId: string) => sessionKeys(space, sessionId).events;

export interface StreamedEvent {
  /**
   * Where the event sits in the stream: the entry's id (`<ms>-<n>`), or `<ms>-<n>.<k>` for event k
   * of an entry that holds several (encodeEventBatch), all but its last. Reading after an id
   * continues with the next event, inside an entry or after it.
   */
  id: string;
  turnId: string;
  /** Newest durable log seq the emitter knew of, when it said. */
  seq: number | undefined;
  data: string;
  /** When the event happened (epoch ms), if it was written later (a held event); else its entry's id time. */
  at?: number;
}

/**
 * Reads a session's event stream for SSE clients. The process's subscriber connection (its
 * ChannelHub) nudges readers when events arrive; reads are plain XRANGE on the shared command
 * connection, so an idle client holds no Redis connection and a disconnected one costs nothing.
 */
export function createEventReader(redis: Redis, channels: ChannelHub, space: KeySpace) {
  let following = 0;
  // A turn's final events are announced by its done notification (which this connection receives
  // for the turn watcher anyway), not by a nudge on the session's channel: see the settle script.
  void channels
    .listen(turnsDoneChannel(space.prefix), (message) => {
      if (following === 0) return;
      const session = sessionOfTurnDone(message);
      if (session !== undefined) channels.deliver(sessionEventsChannel(space.prefix, session), message);
    })
    .catch(() => {});

  /** The events after `after` in up to READ_ENTRIES entries; `more` when that many were read. */
  async function readAfter(sessionId: string, after: string): Promise<{ events: StreamedEvent[]; more: boolean }> {
    const { entry, index } = splitEventId(after);
    // Inside an entry: read it again (inclusive) and skip its events up to `index`.
    const rows = await redis.xrange(sessionEventsKey(space, sessionId), index === undefined ? `(${entry}` : entry, "+", "COUNT", READ_ENTRIES);
    const events: StreamedEvent[] = [];
    for (const [id, fields] of rows) {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      const turnId = f.get("turn") ?? "";
      // Only the entry read again (inclusive) has events already sent.
      const skipUpTo = id === entry && index !== undefined ? index : -1;
      const batch = f.get("es");
      if (batch === undefined) {
        const seq = f.get("seq");
        if (skipUpTo < 0) events.push({ id, turnId, seq: seq ? Number(seq) : undefined, data: f.get("e") ?? "{}" });
        continue;
      }
      const items = JSON.parse(batch) as [number | null, unknown, number?][];
      items.forEach(([seq, event, at], k) => {
        if (k <= skipUpTo) return;
        const e: StreamedEvent = { id: k === items.length - 1 ? id : `${id}.${k}`, turnId, seq: seq ?? undefined, data: JSON.stringify(event) };
        if (typeof at === "number") e.at = at;
        events.push(e);
      });
    }
    return { events, more: rows.length === READ_ENTRIES };
  }

  return {
    /**
     * The live events of one turn the stream still holds (an hour, up to 5,000 entries a session), oldest
     * first; a stream id starts with its millisecond time, which is what a turn's timeline is built from.
     */
    async ofTurn(sessionId: string, turnId: string): Promise<StreamedEvent[]> {
      const out: StreamedEvent[] = [];
      let cursor = "0";
      for (let read = 0; read < 20; read++) {
        const { events, more } = await readAfter(sessionId, cursor);
        for (const e of events) if (e.turnId === turnId) out.push(e);
        if (!more || events.length === 0) break;
        cursor = events.at(-1)!.id;
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
      const { entry } = splitEventId(after);
      const first = await redis.xrange(sessionEventsKey(space, sessionId), "-", "+", "COUNT", 1);
      const firstId = first[0]?.[0];
      return firstId === undefined ? true : compareIds(firstId, entry) > 0 && !(await exists(redis, sessionId, entry));
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
      following++;
      const stopListening = await channels.listen(channel, nudge).catch((err: unknown) => {
        following--;
        throw err;
      });
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      // Workers write a turn's running status and text deltas as they happen only for followed
      // sessions (follow-signals.ts); a lost mark delays them to the turn's end, never loses them.
      let markedAt = 0;
      const mark = () => {
        markFollowed(redis, space, sessionId, markedAt === 0).catch(() => {});
        markedAt = Date.now();
      };
      try {
        let cursor = after;
        while (!signal.aborted) {
          if (Date.now() - markedAt >= followMarks.renewMs) mark();
          if (nudged) {
            nudged = false;
            const { events, more } = await readAfter(sessionId, cursor);
            if (more) nudged = true;
            if (events.length > 0) {
              cursor = events.at(-1)!.id;
              await onEvents(events);
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
        following--;
        await stopListening();
      }
    },
  };

  async function exists(r: Redis, sessionId: string, id: string): Promise<boolean> {
    return (await r.xrange(sessionEventsKey(space, sessionId), id, id)).length > 0;
  }
}

export type EventReader = ReturnType<typeof createEventReader>;

/** Entries read per XRANGE: a reader catching up reads in pages of this many. */
const READ_ENTRIES = 500;

/** `<ms>-<n>` → that entry; `<ms>-<n>.<k>` → event k inside it (see StreamedEvent.id). */
function splitEventId(id: string): { entry: string; index: number | undefined } {
  const dot = id.indexOf(".");
  return dot < 0 ? { entry: id, index: undefined } : { entry: id.slice(0, dot), index: Number(id.slice(dot + 1)) };
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}
