import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";

/**
 * The three calls of turnq's HTTP API the burst and slots parts make themselves (the closed loop
 * has its own): create a session, submit a turn (202 once committed), long-poll it until terminal.
 */

export interface TurnView {
  id: string;
  status: string;
  position: number;
  output: string | null;
}

export const TERMINAL = new Set(["completed", "failed", "cancelled"]);
/** A turn still open after this long means the system is stuck; the run must end, not hang. */
const GIVE_UP_MS = 120_000;
/** Tries per request when the connection breaks (not on an HTTP error status). */
const TRIES = 4;
let transportRetries = 0;
/** The running system's API key (startBenchSystem sets it), sent with every call. */
let apiKey: string | undefined;

export function useBenchApiKey(key: string): void {
  apiKey = key;
}

/** Requests sent again after a broken connection, since the process started (progress lines show it). */
export function transportRetryCount(): number {
  return transportRetries;
}

export async function createSession(pool: Dispatcher): Promise<string> {
  return (await call<{ id: string }>(pool, "POST", "/v1/sessions", {}, 201)).id;
}

/**
 * `key` (visible ASCII, unique per turn) is sent as Idempotency-Key, so a POST sent again after a
 * broken connection gets the turn it may already have created, never a second one. With
 * `waitSeconds`, the submit carries `Prefer: wait=N` and comes back with the finished turn when it
 * finishes within N s (200; else 202 and the turn as submitted): one request a turn instead of two.
 */
export async function submitTurn(
  pool: Dispatcher,
  sessionId: string,
  input: string,
  key: string,
  signal?: AbortSignal,
  waitSeconds?: number,
): Promise<TurnView> {
  const headers = { "idempotency-key": key, ...(waitSeconds ? { prefer: `wait=${waitSeconds}` } : {}) };
  return call<TurnView>(pool, "POST", `/v1/sessions/${sessionId}/turns`, { input }, waitSeconds ? [200, 202] : 202, headers, signal);
}

/** `Prefer: wait=30` until the turn is terminal (the API answers as soon as it is), or `signal` aborts. */
export async function waitTerminal(pool: Dispatcher, turn: TurnView, signal?: AbortSignal): Promise<TurnView> {
  const since = performance.now();
  while (!TERMINAL.has(turn.status)) {
    if (performance.now() - since > GIVE_UP_MS) throw new Error(`turn ${turn.id} still ${turn.status} after ${GIVE_UP_MS} ms`);
    turn = await call<TurnView>(pool, "GET", `/v1/turns/${turn.id}`, undefined, 200, { prefer: "wait=30" }, signal);
  }
  return turn;
}

async function call<T>(
  pool: Dispatcher,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  expect: number | number[],
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce<T>(pool, method, path, body, expect, headers, signal);
    } catch (err) {
      // Typically a keep-alive socket the server closed just as we reused it (an overloaded load
      // generator reads the close late). GETs are safe to send again and turn POSTs carry an
      // Idempotency-Key, so this is no turn failure; a retried session POST may leave an unused session.
      const code = (err as { code?: string }).code ?? "";
      if (attempt >= TRIES || signal?.aborted || !["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code)) throw err;
      transportRetries++;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** One JSON request, no retry: what a client without an Idempotency-Key may send. */
export async function callOnce<T>(
  pool: Dispatcher,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  expect: number | number[],
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<T> {
  const res = await pool.request({
    signal,
    method,
    path,
    headers: {
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
      ...headers,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 60_000,
  });
  const text = await res.body.text();
  if (!(Array.isArray(expect) ? expect.includes(res.statusCode) : res.statusCode === expect)) {
    throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as T;
}
