/**
 * The chaos run's clients: sessions that submit turns one after another with an Idempotency-Key,
 * sending the same request again (same key) after any error until it is acknowledged, with at most
 * two turns of a session open at once. Every answer is counted; what no healthy system may answer
 * (a 500, a 503 without a code, a request that hangs) is recorded as a violation.
 */

export interface AckedTurn {
  sessionId: string;
  id: string;
  input: string;
  position: number;
  key: string;
  /** Date.now() when the acknowledgement arrived. */
  ackedAt: number;
}

export interface LoadOptions {
  baseUrl: string;
  /** Sent as Authorization: Bearer with every request. */
  apiKey: string;
  sessions: number;
  turnsPerSession: number;
  /** Mean pause between a session's submits, so the load lasts through the fault window. */
  meanPauseMs: number;
  /** Distinguishes this run's inputs (they must be unique to match model calls to turns). */
  tag: string;
  random: () => number;
}

export interface LoadStats {
  /** Answers by "METHOD route status[ code]", e.g. "POST turns 503 database_unavailable". */
  answers: Record<string, number>;
  transportErrors: number;
  violations: string[];
}

export interface Load {
  /** Per session, its acknowledged turns in the order they were acknowledged. */
  acked: Map<string, AckedTurn[]>;
  stats: LoadStats;
  /** Resolves when every session has submitted its turns (or `stop` was called) and seen them end. */
  done: Promise<void>;
  /** Stop submitting; sessions still wait for their open turns. */
  stop(): void;
}

/** Longer than any answer may take: the API answers `Prefer: wait=10` within 10 s, anything else at once. */
export const HANG_MS = 25_000;
const WAIT_S = 10;
/** A session gives up waiting for its turns after this long (the checker then reports what is missing). */
const GIVE_UP_MS = 300_000;

export function startLoad(opts: LoadOptions): Load {
  const acked = new Map<string, AckedTurn[]>();
  const stats: LoadStats = { answers: {}, transportErrors: 0, violations: [] };
  let stopped = false;

  async function call(method: string, route: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    try {
      const res = await fetch(opts.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${opts.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(HANG_MS),
      });
      const text = await res.text();
      const json = parse(text);
      const code = res.status >= 400 ? String(json?.code ?? "") : "";
      const label = `${method} ${route} ${res.status}${code ? ` ${code}` : ""}`;
      stats.answers[label] = (stats.answers[label] ?? 0) + 1;
      if (res.status >= 500 && (res.status !== 503 || !code || !res.headers.get("content-type")?.includes("application/problem+json"))) {
        violation(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      }
      return { status: res.status, body: json };
    } catch (err) {
      if ((err as Error).name === "TimeoutError") violation(`${method} ${path} hung: no answer within ${HANG_MS} ms`);
      else stats.transportErrors++;
      return { status: 0, body: undefined };
    }
  }
  const violation = (v: string) => {
    if (stats.violations.length < 200) stats.violations.push(v);
  };

  /** Sends the request again after anything but `ok` (backing off up to 1 s), until `deadline`. */
  async function untilOk(deadline: number, ok: number[], send: () => ReturnType<typeof call>) {
    for (let pause = 50; ; pause = Math.min(1_000, pause * 2)) {
      const r = await send();
      if (ok.includes(r.status)) return r;
      if (r.status >= 400 && r.status < 500) violation(`refused: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      if (Date.now() > deadline) return undefined;
      await sleep(pause * (0.5 + opts.random()));
    }
  }

  async function waitDone(turn: AckedTurn, deadline: number): Promise<void> {
    for (;;) {
      const r = await untilOk(deadline, [200], () => call("GET", "turn", `/v1/turns/${turn.id}`, undefined, { prefer: `wait=${WAIT_S}` }));
      if (!r || ["completed", "failed", "cancelled"].includes(r.body?.status)) return;
      if (Date.now() > deadline) return;
    }
  }

  async function session(s: number): Promise<void> {
    const deadline = () => Date.now() + GIVE_UP_MS;
    const created = await untilOk(deadline(), [201], () => call("POST", "sessions", "/v1/sessions", { metadata: { chaos: opts.tag } }));
    if (!created) return void violation(`session ${s}: could not be created within ${GIVE_UP_MS} ms`);
    const sessionId = created.body.id as string;
    const mine: AckedTurn[] = [];
    acked.set(sessionId, mine);
    let open: AckedTurn | undefined;
    for (let n = 0; n < opts.turnsPerSession && !stopped; n++) {
      await sleep(opts.meanPauseMs * 2 * opts.random());
      if (stopped) break;
      const key = `chaos-${opts.tag}-${s}-${n}`;
      const input = `chaos ${opts.tag} s${s} t${n}`;
      const r = await untilOk(deadline(), [200, 202], () => call("POST", "turns", `/v1/sessions/${sessionId}/turns`, { input }, { "idempotency-key": key }));
      if (!r) return void violation(`session ${s} turn ${n}: never acknowledged within ${GIVE_UP_MS} ms`);
      const turn = { sessionId, id: r.body.id as string, input, position: r.body.position as number, key, ackedAt: Date.now() };
      mine.push(turn);
      if (open) await waitDone(open, deadline());
      open = turn;
    }
    if (open) await waitDone(open, deadline());
  }

  const done = Promise.all(Array.from({ length: opts.sessions }, (_, s) => session(s))).then(() => {});
  return {
    acked,
    stats,
    done,
    stop: () => {
      stopped = true;
    },
  };
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
