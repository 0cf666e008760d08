import type { TurnqError } from "@turnq/core";
import { timeoutError } from "./llm-errors.ts";
import type { DeadlineName } from "./llm-errors.ts";

/**
 * Per-attempt timers. Each deadline is separate because each failure means something different:
 * a slow first byte is a queueing provider, an idle gap is a stalled stream, and the total caps the
 * whole chat() call across retries. Firing aborts the undici request through `signal`, which destroys
 * the socket, so a timed-out stream never leaves a connection dangling. Every wait of the attempt is
 * also raced against `signal` (`settle`, `chunks`): undici does not settle a request still queued
 * for a connection when its signal fires, so its own abort alone would leave the caller hanging.
 * (The connect deadline is a timer around the pool's connector, see dispatcher.ts.)
 */
export interface AttemptDeadlines {
  readonly signal: AbortSignal;
  /** Call on every body chunk: the first clears the first-byte timer, each one restarts the idle timer. */
  gotChunk(): void;
  /** The error the attempt should surface for what the request threw. */
  explain(err: unknown): unknown;
  /** The timeout that fired, if any. */
  fired(): TurnqError | undefined;
  /** `p`, or a rejection with the abort reason the moment a deadline fires or the caller aborts. */
  settle<T>(p: Promise<T>): Promise<T>;
  /** The body's chunks, each wait under the deadlines; the body is destroyed if we stop early. */
  chunks(body: Body): AsyncGenerator<unknown>;
  dispose(): void;
}

export interface AttemptDeadlineOptions {
  firstByteMs: number;
  idleMs: number;
  /** What is left of the whole-call budget when this attempt starts. */
  totalRemainingMs: number;
  /** The configured whole-call budget, for the error message. */
  totalMs: number;
  callerSignal?: AbortSignal | undefined;
}

export function startAttemptDeadlines(o: AttemptDeadlineOptions): AttemptDeadlines {
  const controller = new AbortController();
  let firedError: TurnqError | undefined;
  let firstByteTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let gotFirst = false;

  const fire = (name: DeadlineName, ms: number) => () => {
    if (firedError || controller.signal.aborted) return;
    firedError = timeoutError(name, ms);
    controller.abort(firedError);
  };
  const onCallerAbort = () => {
    if (!controller.signal.aborted) controller.abort(o.callerSignal?.reason);
  };

  const totalTimer = setTimeout(fire("total", o.totalMs), Math.max(0, o.totalRemainingMs));
  firstByteTimer = setTimeout(fire("firstByte", o.firstByteMs), o.firstByteMs);
  if (o.callerSignal) {
    if (o.callerSignal.aborted) onCallerAbort();
    else o.callerSignal.addEventListener("abort", onCallerAbort, { once: true });
  }

  return {
    signal: controller.signal,
    gotChunk() {
      if (!gotFirst) {
        gotFirst = true;
        clearTimeout(firstByteTimer);
        firstByteTimer = undefined;
      }
      if (idleTimer) idleTimer.refresh();
      else idleTimer = setTimeout(fire("idle", o.idleMs), o.idleMs);
    },
    explain(err) {
      if (o.callerSignal?.aborted) return o.callerSignal.reason;
      return firedError ?? err;
    },
    fired: () => firedError,
    settle: (p) => raceAbort(p, controller.signal),
    chunks: (body) => within(body, controller.signal),
    dispose() {
      clearTimeout(totalTimer);
      clearTimeout(firstByteTimer);
      clearTimeout(idleTimer);
      o.callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}

/** Settles with `p`, or rejects with `signal.reason` as soon as it aborts, whichever comes first. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

/** A response body: undici's is a Readable, which `destroy` ends even while a read is pending. */
export type Body = AsyncIterable<unknown> & { destroy(error?: Error): unknown };

async function* within(body: Body, signal: AbortSignal): AsyncGenerator<unknown> {
  const it = body[Symbol.asyncIterator]();
  // One listener for the whole body (not one per chunk: this runs for every streamed delta).
  let failRead: ((reason: unknown) => void) | undefined;
  const onAbort = () => {
    // Destroying the body frees the socket even while a read is pending (an async iterator's
    // return() would wait behind that read).
    body.destroy();
    failRead?.(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  let done = false;
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const r = await new Promise<IteratorResult<unknown>>((resolve, reject) => {
        failRead = reject;
        it.next().then(resolve, reject);
      });
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Stopped early (an error in the consumer, say): free the socket.
    if (!done) body.destroy();
  }
}
