/**
 * The pending timer of one response, measured from the moment its request was read. Holding at
 * most one timer per response keeps hundreds of concurrent streams cheap, and `cancel()` lets a
 * disconnect or `close()` stop everything at once.
 */
export class Timeline {
  readonly #origin = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #cancelled = false;

  elapsed(): number {
    return performance.now() - this.#origin;
  }

  /** Runs `fn` once `offsetMs` have elapsed since the origin, replacing any earlier schedule. */
  at(offsetMs: number, fn: () => void): void {
    if (this.#cancelled) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wait = offsetMs - this.elapsed();
    if (wait <= 0) {
      fn();
      return;
    }
    // Timers may fire a fraction of a millisecond early by the monotonic clock; re-check so
    // delays are never shorter than asked.
    this.#timer = setTimeout(() => this.at(offsetMs, fn), Math.ceil(wait));
  }

  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
