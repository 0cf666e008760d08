import { setMaxListeners } from "node:events";

export interface LinkedSignal {
  /** Aborts when any parent aborts (with its reason) or when the timeout fires. */
  signal: AbortSignal;
  /** Detaches from the parents and clears the timer; call it when the work is over. */
  dispose(): void;
}

/**
 * A signal that follows its parents and an optional timeout, and lets go of both when disposed.
 * What it replaces on the per-turn and per-call paths: AbortSignal.timeout keeps its timer (a turn's
 * deadline is minutes) pending long after the work ended, and AbortSignal.any ties every child to a
 * process-wide parent such as the shutdown signal through weak references the garbage collector
 * revisits on every cycle; at hundreds of turns a second both are memory and GC time for nothing.
 * Each parent gets a listener, and adding one to an EventTarget costs O(its listeners) (about 30 us
 * with 200 present, 100 us with 5,000): give it parents of one piece of work, never a signal shared
 * by every running turn (the worker's shutdown reaches turns through their own signals instead).
 */
export function linkedSignal(parents: readonly (AbortSignal | undefined)[], timeout?: { ms: number; reason: () => unknown }): LinkedSignal {
  const controller = new AbortController();
  // Work under one turn listens on its signal: parallel tools, the LLM call, the tools' own deadlines.
  setMaxListeners(0, controller.signal);
  const attached: AbortSignal[] = [];
  let timer: NodeJS.Timeout | undefined;
  const onParentAbort = (event: Event) => {
    controller.abort((event.target as AbortSignal).reason);
    dispose();
  };
  function dispose(): void {
    clearTimeout(timer);
    timer = undefined;
    for (const parent of attached) parent.removeEventListener("abort", onParentAbort);
    attached.length = 0;
  }
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      dispose();
      return { signal: controller.signal, dispose };
    }
    parent.addEventListener("abort", onParentAbort);
    attached.push(parent);
  }
  if (timeout) {
    timer = setTimeout(() => {
      controller.abort(timeout.reason());
      dispose();
    }, timeout.ms);
  }
  return { signal: controller.signal, dispose };
}
