import type { GapEvent, StreamEvent } from "@turnq/contract";
import { isTurnqApiError } from "./errors.ts";
import { sleep } from "./sleep.ts";
import { createSseParser } from "./sse-parser.ts";
import type { Transport } from "./transport.ts";

/** What a stream yields: the API's events, and `gap` when the live events resumed from had expired. */
export type TurnqEvent = (StreamEvent | ({ type: "gap" } & GapEvent)) & { /** The SSE id (absent on gap). */ eventId?: string };

export interface StreamOptions {
  /** Resume after this event id (an `eventId` seen before); omitted: from the oldest live event kept. */
  lastEventId?: string | undefined;
  /** Ends the stream: the iterator throws the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Reconnect when nothing (not even the 15 s keep-alive) arrived for this long, ms. Default 45 s. */
  idleTimeoutMs?: number;
  /** Consecutive failed connections before giving up with the last error. Default 8; `Infinity` never gives up. */
  maxRetries?: number;
  /** Backoff before reconnecting: full jitter over min(maxDelay, base·2^n), ms. Defaults 250 and 10,000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Told of each reconnection, before its backoff (tests, progress displays). */
  onReconnect?: (info: { attempt: number; delayMs: number; error: unknown; lastEventId: string | undefined }) => void;
  /**
   * Told each time a connection is answered, the first and every reconnection: with `onReconnect`,
   * what a "live / reconnecting" indicator needs.
   */
  onOpen?: (info: { lastEventId: string | undefined }) => void;
}

const finalStatuses = new Set(["completed", "failed", "cancelled"]);

/**
 * A live event stream that survives dropped connections: it reconnects with Last-Event-ID (after a
 * backoff with jitter, bounded in attempts) and drops any `message` whose seq was already yielded,
 * so a caller sees every durable event exactly once. A turn's stream ends after its final status;
 * a session's goes on until the caller stops iterating or aborts.
 */
export class TurnqEventStream implements AsyncIterable<TurnqEvent> {
  #lastEventId: string | undefined;
  readonly #transport: Transport;
  readonly #path: string;
  readonly #endsWithTurn: boolean;
  readonly #opts: StreamOptions;

  constructor(transport: Transport, path: string, endsWithTurn: boolean, opts: StreamOptions = {}) {
    this.#transport = transport;
    this.#path = path;
    this.#endsWithTurn = endsWithTurn;
    this.#opts = opts;
    this.#lastEventId = opts.lastEventId;
  }

  /** The id of the last event yielded: pass it as `lastEventId` to resume later. */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TurnqEvent, void, undefined> {
    const { signal, idleTimeoutMs = 45_000, maxRetries = 8, retryBaseMs = 250, retryMaxMs = 10_000 } = this.#opts;
    // The seq part of an id is the newest log entry sent up to that event: nothing at or below it again.
    let maxSeq = Number(/~(\d+)$/.exec(this.#lastEventId ?? "")?.[1] ?? 0);
    let failures = 0;
    for (;;) {
      signal?.throwIfAborted();
      const conn = new AbortController();
      const stop = () => conn.abort(signal?.reason);
      signal?.addEventListener("abort", stop, { once: true });
      let idle: ReturnType<typeof setTimeout> | undefined;
      const touch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => conn.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      };
      let received = false;
      try {
        touch();
        const res = await this.#transport.raw("GET", this.#path, {
          headers: { accept: "text/event-stream", ...(this.#lastEventId ? { "last-event-id": this.#lastEventId } : {}) },
          signal: conn.signal,
          timeoutMs: null,
        });
        if (!res.body) throw new Error("the event stream answer has no body");
        this.#opts.onOpen?.({ lastEventId: this.#lastEventId });
        const parse = createSseParser();
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            touch();
            for (const raw of parse(decoder.decode(value, { stream: true }))) {
              received = true;
              failures = 0;
              const data = JSON.parse(raw.data) as Record<string, unknown>;
              const event = (raw.event === "gap" ? { type: "gap", ...data } : data) as TurnqEvent;
              if (raw.id) this.#lastEventId = raw.id;
              if (event.type === "message") {
                if (event.seq <= maxSeq) continue;
                maxSeq = event.seq;
              }
              yield raw.id ? { ...event, eventId: raw.id } : event;
              if (this.#endsWithTurn && event.type === "turn.status" && finalStatuses.has(event.status)) return;
            }
          }
        } finally {
          reader.cancel().catch(() => {});
        }
        // The server ended the stream without a final status (a restart, a proxy's time limit): go on.
        if (received) continue;
        throw new Error("the event stream ended before sending any event");
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        // 4xx: sending the same request again cannot help (unknown id, bad key, bad Last-Event-ID),
        // except after a rate limit (429, waiting its Retry-After) or a request timeout (408).
        if (isTurnqApiError(err) && err.status < 500 && err.status !== 408 && err.status !== 429) throw err;
        if (++failures > maxRetries) throw err;
        const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
        const delayMs = Math.max(isTurnqApiError(err) ? (err.retryAfterMs ?? 0) : 0, Math.random() * ceiling);
        this.#opts.onReconnect?.({ attempt: failures, delayMs, error: err, lastEventId: this.#lastEventId });
        await sleep(delayMs, signal);
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener("abort", stop);
        conn.abort();
      }
    }
  }
}
