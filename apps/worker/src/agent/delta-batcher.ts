/**
 * Streams text deltas to watchers without one Redis write per token: the first delta of each model
 * call goes out at once (time to first delta is what a user feels, and a turn's timeline reads the
 * time to first token from it), later ones are joined for up to `windowMs`. Whether they reach the
 * stream now or with a later event is the turn's TurnLive's decision (nobody following the session:
 * held). `take()` hands the last text to the turn's settle; `flush()` before any other event keeps the
 * order of events as they happened.
 */
export class DeltaBatcher {
  private readonly send: (text: string) => void;
  private readonly windowMs: number;
  private buffered = "";
  private timer: NodeJS.Timeout | undefined;
  private first = true;

  constructor(send: (text: string) => void, opts: { windowMs?: number } = {}) {
    this.send = send;
    this.windowMs = opts.windowMs ?? 20;
  }

  push(text: string): void {
    if (this.first) {
      this.first = false;
      this.send(text);
      return;
    }
    this.buffered += text;
    this.timer ??= setTimeout(this.windowEnded, this.windowMs);
  }

  /** A new model call starts: its first delta goes out at once, like the turn's first. */
  newCall(): void {
    this.flush();
    this.first = true;
  }

  /** Hands over what is buffered instead of sending it (the caller sends it with other writes). */
  take(): string {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.buffered;
    this.buffered = "";
    return text;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.buffered) return;
    const text = this.buffered;
    this.buffered = "";
    this.send(text);
  }

  private readonly windowEnded = (): void => {
    this.timer = undefined;
    this.flush();
  };
}
