export interface SimulatorOptions {
  /** Interface to bind; default "127.0.0.1". */
  host?: string;
  /** Default 0: the OS picks a free port. */
  port?: number;
  /** Total time of each completion; default 0. Streams spread their chunks over it. */
  latencyMs?: number;
  /** Time to the first streamed chunk; default 0 when latencyMs is 0, else min(latencyMs, 100). */
  firstTokenMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (or `x-api-key` on /v1/messages). */
  apiKey?: string;
  /** Most requests kept in `Simulator.requests`; oldest are dropped first. Default 10_000. */
  recordLimit?: number;
}

export interface RecordedRequest {
  id: number;
  path: string;
  model: string;
  stream: boolean;
  /** Exactly as received, in the wire shape of the endpoint (OpenAI or Anthropic). */
  messages: unknown[];
  tools: unknown[] | undefined;
  /** The W3C `traceparent` header the request carried, as a tracing provider would read it. */
  traceparent: string | undefined;
  /** Date.now() when the request body had been read. */
  startedAt: number;
  /** When the response finished or the client went away; undefined while in flight. */
  endedAt: number | undefined;
  /** Status sent, or 0 when nothing was sent before the client left. */
  status: number;
  aborted: boolean;
}

export interface Simulator {
  /** OpenAI-compatible base URL, e.g. "http://127.0.0.1:43123/v1". */
  url: string;
  /** e.g. "http://127.0.0.1:43123". */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted since start, to check that clients reuse connections. */
  connectionsAccepted(): number;
  /** Requests whose response has not yet finished or been aborted. */
  inFlight(): number;
  /** Clears `requests` and the per-conversation attempt counters used by `fail-first`. */
  reset(): void;
  /** Stops listening, destroys open sockets and cancels every pending timer. */
  close(): Promise<void>;
}
