/**
 * The cancel signals of the turns running in this process. A cancel request for a turn that runs
 * elsewhere (or no longer runs) is simply ignored here; the row's cancel_requested_at covers a turn
 * that is claimed after the message went by.
 */
export function createCancelRegistry() {
  const running = new Map<string, AbortController>();
  return {
    open(turnId: string): AbortSignal {
      const c = new AbortController();
      running.set(turnId, c);
      return c.signal;
    },
    close(turnId: string): void {
      running.delete(turnId);
    },
    /** Turns running in this process right now. */
    size(): number {
      return running.size;
    },
    fire(turnId: string): void {
      running.get(turnId)?.abort(new Error("turn cancelled"));
    },
  };
}
