/**
 * Wraps a refresh (reads from the API, then state updates) so that its runs never overlap: a call
 * made while one runs gets one more run after it, shared by every call made meanwhile.
 *
 * Why: the session page refreshes its turns on every status event, on send and on cancel. Runs that
 * overlapped could finish out of order, and the older read then won: a turn shown as still queued
 * after its `running` event, with no live panel for its text, and nothing later to correct it when
 * its stream stalls. Run one at a time, the last result applied always comes from a read that began
 * after the last call.
 */
export function serialRefresh(run: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    current = run().finally(() => {
      current = undefined;
    });
    return current;
  };
  return () => {
    if (!current) return start();
    next ??= current
      .catch(() => {})
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
