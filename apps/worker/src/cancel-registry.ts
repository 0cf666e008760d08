/**
 * The cancel signals of the turns running in this process, aborted by a cancel request for the turn
 * or by the worker's shutdown once its grace is over. A cancel request for a turn that runs
 * elsewhere is ignored here. A request that arrives between a claim (which read the row's
 * cancel_requested_at) and `open` is remembered for a while, so that window loses nothing.
 */
export function createCancelRegistry(opts: { rememberMs?: number; rememberMax?: number } = {}) {
  const rememberMs = opts.rememberMs ?? 60_000;
  const rememberMax = opts.rememberMax ?? 10_000;
  const running = new Map<string, AbortController>();
  const recent = new Map<string, number>();
  let stopReason: unknown;
  return {
    open(turnId: string): AbortSignal {
      const c = new AbortController();
      running.set(turnId, c);
      const at = recent.get(turnId);
      if (stopReason !== undefined) c.abort(stopReason);
      else if (at !== undefined && Date.now() - at < rememberMs) c.abort(new Error("turn cancelled"));
      return c.signal;
    },
    /**
     * Aborts every running turn's signal, and those opened later, with `reason`: the worker's
     * shutdown after its grace. (The turns tell it from a cancel by the shutdown signal's state.)
     */
    abortAll(reason: unknown): void {
      stopReason = reason;
      for (const c of running.values()) c.abort(reason);
    },
    close(turnId: string): void {
      running.delete(turnId);
    },
    /** Turns running in this process right now. */
    size(): number {
      return running.size;
    },
    fire(turnId: string): void {
      const c = running.get(turnId);
      if (c) return c.abort(new Error("turn cancelled"));
      // A Map iterates in insertion order: the oldest entries leave first.
      recent.delete(turnId);
      recent.set(turnId, Date.now());
      if (recent.size > rememberMax) recent.delete(recent.keys().next().value!);
    },
  };
}
