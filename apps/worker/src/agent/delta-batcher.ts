/**
 * Streams text deltas to watchers without one Redis write per token: the first delta goes out at
 * once (time to first delta is what a user feels), later ones are joined for up to `windowMs`.
 * `flush()` before any other event keeps the order of events as they happened.
 */
export class DeltaBatcher {
  private readonly send: (text: string) => void;
  private readonly windowMs: number;
  private buffered = "";
  private timer: NodeJS.Timeout | undefined;
  private first = true;

  constructor(send: (text: string) => void, windowMs = 20) {
    this.send = send;
    this.windowMs = windowMs;
  }

  push(text: string): void {
    if (this.first) {
      this.first = false;
      this.send(text);
      return;
    }
    this.buffered += text;
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
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
}
