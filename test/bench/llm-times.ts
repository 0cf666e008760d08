import type { RecordedRequest, Simulator } from "@turnq/llm-simulator";

export interface LlmCall {
  startedAt: number;
  endedAt: number;
  status: number;
}

/**
 * Collects the simulator's per-request timings keyed by the turn's input (the last user message),
 * then empties the simulator's log so a long 0 ms run neither hits its record limit nor keeps every
 * request's message window alive in the process that also serves the API.
 */
export class LlmTimes {
  readonly byInput = new Map<string, LlmCall>();
  /** LLM calls seen more than once for one input (retries); 0 in a healthy run. */
  repeats = 0;
  #pending: RecordedRequest[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #sim: Simulator;

  constructor(sim: Simulator) {
    this.#sim = sim;
  }

  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => this.harvest(), intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.harvest();
  }

  /** Synchronous, so no request can be logged between reading the log and clearing it. */
  harvest(): void {
    const fresh = this.#sim.requests.slice();
    this.#sim.reset();
    const open: RecordedRequest[] = [];
    for (const r of [...this.#pending, ...fresh]) {
      if (r.endedAt === undefined) {
        open.push(r);
        continue;
      }
      const input = lastUserText(r.messages);
      if (input === undefined) continue;
      if (this.byInput.has(input)) this.repeats++;
      this.byInput.set(input, { startedAt: r.startedAt, endedAt: r.endedAt, status: r.status });
    }
    this.#pending = open;
  }
}

function lastUserText(messages: unknown[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string; content?: unknown };
    if (m?.role === "user") return typeof m.content === "string" ? m.content : undefined;
  }
  return undefined;
}
