/**
 * Settings shared by every part of `npm run bench`: integer knobs from the environment, and
 * BENCH_ONLY, which picks parts by name so one measurement can be rerun without the others.
 */
export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** The parts, in the order they run; each is also its key in the JSON line. */
export const PARTS = [
  // Issue #8 first: `reference` is the yardstick the next parts' ratios divide by, so it runs before them.
  "reference",
  "hotpath",
  "burst",
  "overhead",
  "slots",
  "scenarios",
  "tools",
  "ttfd",
  // What each streamed chunk costs the worker (a long reply against a short one).
  "streaming",
  "context",
  "connections",
  "tracing",
  // Issue #9: how soon a killed worker's sessions run again.
  "recovery",
  // Issue #11: worker processes scaling on I/O-bound work, and slow turns one worker holds.
  "scaling",
  // Issue #10: one tenant's flood does not delay another's turns.
  "fairness",
] as const;
export type Part = (typeof PARTS)[number];

/** BENCH_ONLY=context,connections → those parts; unset or empty → all. Unknown names are an error. */
export function selectedParts(raw = process.env.BENCH_ONLY ?? ""): Part[] {
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return [...PARTS];
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(", ")}; known: ${PARTS.join(", ")}`);
  return PARTS.filter((p) => names.includes(p));
}

/** What every part hands back: its figures for the JSON line, and what went wrong (exit code 1). */
export interface PartOutcome<T> {
  result: T;
  failures: string[];
}

export const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

/** Worker settings shared by the scenarios built on the closed loop (BENCH_WORKERS & co). */
export function baseScenario() {
  return {
    clients: intEnv("BENCH_CLIENTS", 64),
    workers: intEnv("BENCH_WORKERS", 2),
    concurrency: intEnv("BENCH_CONCURRENCY", 100),
    warmupSeconds: intEnv("BENCH_WARMUP_SECONDS", 3, 0),
    measureSeconds: intEnv("BENCH_SECONDS", 15),
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/turnq-prof" to profile the workers under load
    workerNodeArgs: words(process.env.BENCH_WORKER_NODE_ARGS),
  };
}

/**
 * The 0 ms closed loop of issue #8, shared by `reference` and `hotpath` so their ratio compares like
 * with like: 200 clients, one worker process with 200 slots, the scenarios' windows.
 */
export function hotLoopSettings() {
  return {
    clients: intEnv("BENCH_HOTPATH_CLIENTS", 200),
    concurrency: intEnv("BENCH_HOTPATH_CONCURRENCY", 200),
    warmupSeconds: intEnv("BENCH_WARMUP_SECONDS", 3, 0),
    measureSeconds: intEnv("BENCH_SECONDS", 15),
    /**
     * Reference-then-turnq closed loops `hotpath` runs when `reference` is selected (the first pair
     * uses the `reference` part's loop); its ratio is the median pair's (hotpath.ts).
     */
    pairs: intEnv("BENCH_PAIRS", 3),
    /** CONTEXT_WINDOW_MESSAGES of the hotpath worker: the reference reads the last 40 messages. */
    windowMessages: intEnv("BENCH_HOTPATH_WINDOW", 40, 2),
    /**
     * Turns a client sends in one session before opening the next (issue #8's "200 sessions × 20
     * turns", rolled over for as long as the window lasts), on turnq and on the reference alike: 20
     * turns are 40 log entries, which the 40-entry window holds whole, so every turn is a plain one.
     * 0: one session a client for the whole loop; past 20 turns turnq's worker then summarises the
     * history the window no longer holds (an extra LLM call and log entry about every 16 turns),
     * work the reference never does.
     */
    sessionTurns: intEnv("BENCH_HOTPATH_SESSION_TURNS", 20, 0),
    /** 1: each client submits with `Prefer: wait` (one request a turn); 0: submit, then long-poll GETs. */
    submitWaits: intEnv("BENCH_HOTPATH_SUBMIT_WAITS", 1, 0) === 1,
    /** Extra node flags for the API and worker processes (profiling, heap experiments). */
    apiNodeArgs: words(process.env.BENCH_API_NODE_ARGS),
    workerNodeArgs: words(process.env.BENCH_WORKER_NODE_ARGS),
    /** The same for the reference's worker, to profile it beside turnq's. */
    referenceNodeArgs: words(process.env.BENCH_REFERENCE_NODE_ARGS),
  };
}

/** Whether a client of hotpath or reference opens a new session before its turn `n` (every `every` turns; 0: never). */
export function opensNewSession(n: number, every: number | undefined): boolean {
  return !!every && n > 0 && n % every === 0;
}

/** The burst's shape, the same on turnq (`burst`) and on the reference (inside `reference`). */
export function burstSettings() {
  return {
    sessions: intEnv("BENCH_BURST_SESSIONS", 50),
    turnsPerSession: intEnv("BENCH_BURST_TURNS", 20),
  };
}

/** What `reference` measured, for the ratios of the parts after it (absent when it was not selected). */
export interface ReferenceFigures {
  turnsPerSec: number;
  burstTurnsPerSec: number | null;
  machineCpuMsPerTurn: number | null;
  /** Steal over its measure window (proc-cpu.ts), printed beside turnq's in hotpath's pairs. */
  stealPct: number | null;
}

/**
 * CPU ms per turn of every process a turn costs on this machine (our processes, the bench's own,
 * the Postgres backends, redis-server), or null when one of them could not be read. On a machine
 * that the parts keep busy, throughput is about cores / this: the figure that explains a ratio.
 */
export function machineCpuMsPerTurn(parts: (number | null | undefined)[]): number | null {
  if (parts.some((p) => p === null || p === undefined || !Number.isFinite(p))) return null;
  return Math.round((parts as number[]).reduce((a, b) => a + b, 0) * 100) / 100;
}

/** Handed to every part by run.ts: what earlier parts of the same run measured. */
export interface BenchContext {
  reference?: ReferenceFigures;
}

export function words(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter(Boolean);
}
