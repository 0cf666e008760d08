import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { callOnce } from "./api-client.ts";
import { opensNewSession } from "./bench-env.ts";

export interface TurnSample {
  sessionId: string;
  turnId: string;
  input: string;
  position: number;
  status: string;
  output: string | null;
  /** performance.now() when the POST was sent and when the terminal GET arrived. */
  sentAt: number;
  doneAt: number;
}

export interface LoopResult {
  samples: TurnSample[];
  /** Requests that failed outright (transport error or unexpected HTTP status). */
  errors: string[];
}

const terminal = new Set(["completed", "failed", "cancelled"]);
/** A turn still open after this long means the system is stuck; the run must end, not hang. */
const giveUpMs = 120_000;

/**
 * Closed-loop load: each client owns one session and has exactly one turn outstanding at a time,
 * submitting the next as soon as the previous one is terminal, until `until` (performance.now()).
 */
export async function runClosedLoop(opts: {
  baseUrl: string;
  clients: number;
  /** Distinguishes inputs between runs; inputs must be unique to match them to LLM calls. */
  tag: string;
  /** Body of each client's POST /v1/sessions (e.g. an agentId); default {}. */
  sessionBody?: Record<string, unknown>;
  /** Appended to every input, e.g. a simulator directive. */
  inputSuffix?: string;
  /** Stop submitting once this many turns have been submitted in all (besides the time limit). */
  maxTurns?: number;
  /**
   * Turns a client sends in one session before it opens a new one (POST /v1/sessions, inside the
   * loop, so its cost counts); unset: one session a client for the whole loop.
   */
  turnsPerSession?: number;
  /**
   * Submit with `Prefer: wait` (one request per turn when it finishes within the wait) instead of
   * a submit then long-polling GETs (two requests per turn).
   */
  submitWaits?: boolean;
  /** Called once every client has its session; returns when (performance.now()) to stop submitting. */
  onStart(now: number): number;
  /** Checked before each submit: true stops the loop early (a part that ends on an event, not a time). */
  shouldStop?: () => boolean;
}): Promise<LoopResult> {
  const { baseUrl, clients, tag } = opts;
  const suffix = opts.inputSuffix ? ` ${opts.inputSuffix}` : "";
  let submitted = 0;
  // One connection per client, plus spare: a client holds one during its long-poll.
  const pool = new Pool(baseUrl, { connections: clients + 8, pipelining: 1 });
  const samples: TurnSample[] = [];
  const errors: string[] = [];
  try {
    const newSession = async () => (await callOnce<Record<string, any>>(pool, "POST", "/v1/sessions", opts.sessionBody ?? {}, 201, {}, undefined)).id as string;
    const sessions = await Promise.all(Array.from({ length: clients }, newSession));
    const until = opts.onStart(performance.now());
    await Promise.all(
      sessions.map(async (first, c) => {
        let sessionId = first;
        for (let n = 0; performance.now() < until && submitted < (opts.maxTurns ?? Infinity) && !opts.shouldStop?.(); n++) {
          submitted++;
          const input = `bench ${tag} client ${c} turn ${n}${suffix}`;
          try {
            if (opensNewSession(n, opts.turnsPerSession)) sessionId = await newSession();
            samples.push(await oneTurn(pool, sessionId, input, opts.submitWaits ?? false));
          } catch (err) {
            errors.push((err as Error).message);
            await new Promise((r) => setTimeout(r, 100)); // a broken system must not become a busy loop
          }
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return { samples, errors };
}

async function oneTurn(pool: Pool, sessionId: string, input: string, submitWaits: boolean): Promise<TurnSample> {
  const sentAt = performance.now();
  const prefer: Record<string, string> = submitWaits ? { prefer: "wait=30" } : {};
  let turn = await callOnce<Record<string, any>>(pool, "POST", `/v1/sessions/${sessionId}/turns`, { input }, [200, 202], prefer, undefined);
  while (!terminal.has(turn.status as string)) {
    if (performance.now() - sentAt > giveUpMs) throw new Error(`turn ${turn.id} still ${turn.status} after ${giveUpMs} ms`);
    turn = await callOnce<Record<string, any>>(pool, "GET", `/v1/turns/${turn.id}`, undefined, 200, { prefer: "wait=30" }, undefined);
  }
  const doneAt = performance.now();
  return { sessionId, turnId: turn.id, input, position: turn.position, status: turn.status, output: turn.output, sentAt, doneAt } as TurnSample;
}
