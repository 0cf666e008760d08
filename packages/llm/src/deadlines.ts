import type { TurnqError } from "@turnq/core";
import { timeoutError } from "./llm-errors.ts";
import type { DeadlineName } from "./llm-errors.ts";

/**
 * Per-attempt timers. Each deadline is separate because each failure means something different:
 * a slow first byte is a queueing provider, an idle gap is a stalled stream, and the total caps the
 * whole chat() call across retries. Firing aborts the undici request through `signal`, which destroys
 * the socket, so a timed-out stream never leaves a connection dangling.
 * (The connect deadline is undici's `connectTimeout`, set on the pool.)
 */
export interface AttemptDeadlines {
  readonly signal: AbortSignal;
  /** Call on every body chunk: the first clears the first-byte timer, each one restarts the idle timer. */
  gotChunk(): void;
  /** The error the attempt should surface for what the request threw. */
  explain(err: unknown): unknown;
  /** The timeout that fired, if any. */
  fired(): TurnqError | undefined;
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
    dispose() {
      clearTimeout(totalTimer);
      clearTimeout(firstByteTimer);
      clearTimeout(idleTimer);
      o.callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}
