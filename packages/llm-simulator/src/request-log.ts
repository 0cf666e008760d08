import type { RecordedRequest } from "./types.ts";

/** The bounded, publicly visible list of requests, plus the id sequence shared by all of them. */
export class RequestLog {
  readonly entries: RecordedRequest[] = [];
  readonly #limit: number;
  #nextId = 1;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(fields: Omit<RecordedRequest, "id">): RecordedRequest {
    const record: RecordedRequest = { id: this.#nextId++, ...fields };
    if (this.#limit === 0) return record;
    this.entries.push(record);
    if (this.entries.length > this.#limit) this.entries.splice(0, this.entries.length - this.#limit);
    return record;
  }

  /** Empties in place so references handed out as `Simulator.requests` stay live. */
  clear(): void {
    this.entries.length = 0;
  }
}
