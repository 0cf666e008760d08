import { raceAbort, type TurnqError } from "@turnq/core";
import { finished, type Readable } from "node:stream";
import { timeoutError } from "./llm-errors.ts";
import type { DeadlineName } from "./llm-errors.ts";

/**
 * Per-attempt timers. Each deadline is separate because each failure means something different:
 * a slow first byte is a queueing provider, an idle gap is a stalled stream, and the total caps the
 * whole chat() call across retries. Firing aborts the undici request through `signal`, which destroys
 * the socket, so a timed-out stream never leaves a connection dangling. Every wait of the attempt is
 * also raced against `signal` (`settle`, `read`): undici does not settle a request still queued
 * for a connection when its signal fires, so its own abort alone would leave the caller hanging.
 * (The connect deadline is a timer around the pool's connector, see dispatcher.ts.)
 */
export interface AttemptDeadlines {
  readonly signal: AbortSignal;
  /** Call on every body chunk (`read` does): the first clears the first-byte timer, each one restarts the idle timer. */
  gotChunk(): void;
  /** The error the attempt should surface for what the request threw. */
  explain(err: unknown): unknown;
  /** The timeout that fired, if any. */
  fired(): TurnqError | undefined;
  /** `p`, or a rejection with the abort reason the moment a deadline fires or the caller aborts. */
  settle<T>(p: Promise<T>): Promise<T>;
  /**
   * Reads `body` to its end under the deadlines, handing each chunk to `onChunk` as it arrives
   * (after `gotChunk`). `onChunk` returning false stops the read early (resolved); throwing stops it
   * with that error. The body is destroyed whenever the read stops before its end.
   */
  read(body: Readable, onChunk: (chunk: Buffer) => boolean | void): Promise<void>;
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

  const gotChunk = (): void => {
    if (!gotFirst) {
      gotFirst = true;
      clearTimeout(firstByteTimer);
      firstByteTimer = undefined;
    }
    if (idleTimer) idleTimer.refresh();
    else idleTimer = setTimeout(fire("idle", o.idleMs), o.idleMs);
  };

  return {
    signal: controller.signal,
    gotChunk,
    explain(err) {
      if (o.callerSignal?.aborted) return o.callerSignal.reason;
      return firedError ?? err;
    },
    fired: () => firedError,
    settle: (p) => raceAbort(p, controller.signal),
    read: (body, onChunk) => readBody(body, controller.signal, gotChunk, onChunk),
    dispose() {
      clearTimeout(totalTimer);
      clearTimeout(firstByteTimer);
      clearTimeout(idleTimer);
      o.callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}

/**
 * The body's chunks by its 'data' events, each handed on synchronously: no promise or generator per
 * chunk. An async iterator adds two generator layers and a promise per read: garbage for every
 * streamed delta, and about 1 KB more held by every call in flight (19.7 KB per streaming call
 * with it, 18.8 without, measured with 3,000 calls open). One abort listener for the whole body.
 */
function readBody(body: Readable, signal: AbortSignal, gotChunk: () => void, onChunk: (chunk: Buffer) => boolean | void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const stop = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      body.off("data", onData);
      if (err === undefined) resolve();
      else reject(err as Error);
    };
    // Destroying the body frees the socket at once, even mid-read.
    const early = (err?: unknown): void => {
      stop(err);
      body.destroy();
    };
    const onAbort = (): void => early(signal.reason);
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      gotChunk();
      try {
        if (onChunk(chunk) === false) early();
      } catch (err) {
        early(err);
      }
    };
    // The end, an error, or a close before the end (ERR_STREAM_PREMATURE_CLOSE). Its listeners stay
    // on the body: the error undici emits when `early` destroys it then has a listener.
    finished(body, (err) => stop(err ?? undefined));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    body.on("data", onData);
  });
}
