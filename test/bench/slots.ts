import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Client, Pool } from "undici";
import { createSession, submitTurn, transportRetryCount, waitTerminal } from "./api-client.ts";
import { intEnv, log, words, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import type { TurnSample } from "./closed-loop.ts";
import { LlmTimes } from "./llm-times.ts";
import { cpuWindow, postgresCpuWindow } from "./proc-cpu.ts";
import { databaseViolations, observedViolations, runFailures } from "./order-check.ts";
import { retryWhenPostgresFull } from "./pg-retry.ts";
import { sampleRss, type RssSampler } from "./rss.ts";
import { round1 } from "./stats.ts";
import { referenceSlotsRun, type ReferenceSlotsRun } from "./reference-slots.ts";
import { atLeast, exactly, targetsMet, type Goal } from "./targets.ts";

export interface SlotsRun {
  workers: number;
  workerConcurrency: number;
  clients: number;
  turns: number;
  turnsPerSec: number;
  /** Workers × WORKER_CONCURRENCY / LLM seconds: what workers that lose no time between turns reach. */
  ceilingTurnsPerSec: number;
  /**
   * Mean LLM call as the simulator timed it (request read → response finished). Above the
   * configured latency when the bench process, which hosts the simulator, runs its timers late:
   * slots × 1000 / this is the ceiling this run could really reach.
   */
  llmCallMsAvg: number;
  /** Mean of the simulator's in-flight LLM calls, sampled every 100 ms while turns were waiting. */
  busySlotsAvg: number;
  /** Share of samples in which some turn waited (clients' open turns > LLM calls in flight). */
  samplesWithTurnsWaiting: number;
  turnsWaitingAvg: number;
  /** Start of the clients → first turn completed (a slow system spends the warm-up on its first wave). */
  firstCompletionSec: number | null;
  /** Turns still open when the drain time after the window ran out: no longer waited for, not failures. */
  abandonedTurns: number;
  /**
   * The most LLM calls open at once (the simulator's count): turns in flight. Over the window, or
   * from the clients' start with `peakFromStart`; `maxInFlightAtSec` says when (after the start).
   */
  maxInFlight: number;
  maxInFlightAtSec: number | null;
  /** The heaviest worker's RSS: largest sample over the same span as maxInFlight, and right after the window. */
  workerRssMiB: { max: number; final: number };
  /**
   * Cores each part used over the window (CPU time ÷ window): the API, the workers together, this
   * process (clients and simulator), the Postgres backends of the run's database (a lower bound).
   * On a 2-core machine the rest of 2 is Redis, other Postgres processes and everything else.
   */
  cpuCores: { api: number; workers: number; bench: number; postgres: number | null };
  /**
   * Event-loop delay of the bench's own process (clients and simulator) over the run, p99 and max:
   * a connection the API accepted gets its first request bytes only when this process gets to write
   * them, and Node's requestTimeout counts from the accept (see README, in-flight run).
   */
  benchLoopDelayMs: { p99: number; max: number };
}

export interface SlotsResult {
  llmLatencyMs: number;
  /** 100 slots, more sessions than slots: turns/s against ≥ 94 % of the ceiling. */
  narrow: Omit<SlotsRun, "turnsPerSec"> & { turnsPerSec: Goal; busyShare: number };
  /** 2,000 slots, more sessions than slots: busy slots / slots while turns wait. */
  wide: SlotsRun & { busyShare: Goal; reference: ReferenceSlotsRun | null };
  orderViolations: Goal;
  targetsMet: string;
}

/**
 * Does a worker keep its slots busy when there is work? LLM at 2 s, more sessions than slots, so
 * turns always wait; a slot is "busy" while it has an LLM call open, which the simulator counts
 * (Simulator.inFlight(), sampled every 100 ms over the window). A narrow worker (100 slots, 200
 * sessions) should come within 6 % of its 50 turns/s ceiling; a wide one (2,000 slots, 2,500
 * sessions) should keep ≥ 95 % of its slots busy. Clients start spread over one LLM duration, or
 * every slot would start and finish in lockstep and a window's count would depend on its phase.
 */
export async function runSlotsBench(): Promise<PartOutcome<SlotsResult>> {
  const llmLatencyMs = intEnv("BENCH_SLOTS_LLM_MS", 2000);
  const warmupSeconds = intEnv("BENCH_SLOTS_WARMUP_SECONDS", 5, 0);
  const measureSeconds = intEnv("BENCH_SLOTS_SECONDS", 12);
  const drainSeconds = intEnv("BENCH_SLOTS_DRAIN_SECONDS", 10, 0);
  const common = { llmLatencyMs, warmupSeconds, measureSeconds, drainSeconds };
  const narrow = await slotsRun({
    ...common,
    workers: 1,
    concurrency: intEnv("BENCH_SLOTS_CONCURRENCY", 100),
    clients: intEnv("BENCH_SLOTS_CLIENTS", 200),
  });
  const wide = await slotsRun({
    ...common,
    workers: 1,
    concurrency: intEnv("BENCH_SLOTS_WIDE_CONCURRENCY", 2000),
    clients: intEnv("BENCH_SLOTS_WIDE_CLIENTS", 2500),
  });
  // The same wide shape on the yardstick (BENCH_SLOTS_REFERENCE=0 skips it).
  const reference =
    intEnv("BENCH_SLOTS_REFERENCE", 1, 0) === 1
      ? await referenceSlotsRun({
          llmLatencyMs,
          warmupSeconds,
          measureSeconds,
          concurrency: intEnv("BENCH_SLOTS_WIDE_CONCURRENCY", 2000),
          clients: intEnv("BENCH_SLOTS_WIDE_CLIENTS", 2500),
        })
      : null;
  const { failures: f1, violations: v1, ...n } = narrow;
  const { failures: f2, violations: v2, ...w } = wide;
  const result: Omit<SlotsResult, "targetsMet"> = {
    llmLatencyMs,
    narrow: { ...n, turnsPerSec: atLeast(n.turnsPerSec, round1(0.94 * n.ceilingTurnsPerSec)), busyShare: share(n) },
    wide: { ...w, busyShare: atLeast(share(w), 0.95), reference },
    orderViolations: exactly(v1 + v2, 0),
  };
  return {
    result: { ...result, targetsMet: targetsMet(result) },
    failures: [
      ...f1.map((f) => `narrow: ${f}`),
      ...f2.map((f) => `wide: ${f}`),
      ...(reference && reference.failedJobs > 0 ? [`wide reference: ${reference.failedJobs} jobs failed`] : []),
    ],
  };
}

function share(r: SlotsRun): number {
  return Math.round((r.busySlotsAvg / (r.workers * r.workerConcurrency)) * 1000) / 1000;
}

/** Connections that create the run's sessions before the clients start. */
const SETUP_CONNECTIONS = 32;

/**
 * One saturated run: `clients` sessions in a closed loop against `workers` worker processes of
 * `concurrency` slots each, more sessions than slots so turns always wait. Also used by `scaling`.
 */
export async function slotsRun(cfg: {
  name?: string;
  workers: number;
  llmLatencyMs: number;
  concurrency: number;
  clients: number;
  warmupSeconds: number;
  measureSeconds: number;
  drainSeconds: number;
  /** Submit with `Prefer: wait=N` (one request a turn when it ends within N s); default: submit, then long-poll. */
  submitWaitSeconds?: number;
  /** Sample the in-flight peak and the workers' RSS from the clients' start (the first wave's peak included). */
  peakFromStart?: boolean;
}): Promise<SlotsRun & { failures: string[]; violations: number }> {
  const name = cfg.name ?? `slots ${cfg.concurrency}`;
  log(`${name}: starting 1 API + ${cfg.workers} worker(s) × concurrency ${cfg.concurrency}, LLM ${cfg.llmLatencyMs} ms, ${cfg.clients} clients`);
  const booting = performance.now();
  const sys = await startBenchSystem({
    llmLatencyMs: cfg.llmLatencyMs,
    workers: cfg.workers,
    concurrency: cfg.concurrency,
    // Profiling or heap flags, as in hotpath (e.g. BENCH_WORKER_NODE_ARGS="--heap-prof").
    childApi: { env: {}, nodeArgs: words(process.env.BENCH_API_NODE_ARGS) },
    workerNodeArgs: words(process.env.BENCH_WORKER_NODE_ARGS),
  });
  // Each client is one user with a keep-alive connection of its own (it holds it through each
  // long-poll), opened when it starts. Not one shared pool of thousands of connections: undici's
  // Pool looks for a free connection by scanning them all, and a burst of thousands of connects at
  // once overflows the API's listen queue (the kernel drops the handshakes, clients retry seconds
  // later). Sessions are created beforehand over a few connections.
  const clients: Client[] = [];
  try {
    const llm = new LlmTimes(sys.sim);
    llm.start();
    const tag = randomBytes(3).toString("hex");
    const retriesBefore = transportRetryCount();
    const up = performance.now();
    const setup = new Pool(sys.api.url, { connections: SETUP_CONNECTIONS });
    const sessions = await Promise.all(Array.from({ length: cfg.clients }, () => createSession(setup))).finally(() => setup.close());
    const secs = (a: number, b = performance.now()) => ((b - a) / 1000).toFixed(1);
    log(`${name}: system up in ${secs(booting, up)} s, ${cfg.clients} sessions created in ${secs(up)} s`);
    const samples: TurnSample[] = [];
    const errors: string[] = [];
    let open = 0;
    let abandoned = 0;
    // Past the window, clients stop submitting and wait for their open turn at most drainSeconds:
    // a system far below its slots' ceiling would otherwise take minutes to finish the last wave.
    // One signal per client: every request adds an abort listener to its signal, and EventTarget
    // checks a new listener against all present ones, so thousands of requests sharing one signal
    // cost O(n²): at 5,250 clients it stalled this process for seconds at a time (README, in-flight run).
    const stopWaiting = sessions.map(() => new AbortController());
    const start = performance.now();
    const from = start + cfg.warmupSeconds * 1000;
    const to = from + cfg.measureSeconds * 1000;
    const busy: number[] = [];
    const waiting: number[] = [];
    let sampled = 0;
    let maxInFlight = 0;
    let maxInFlightAt: number | undefined;
    const peakFrom = cfg.peakFromStart ? start : from;
    let rss: RssSampler | undefined;
    const workerPids = sys.workers.map((w) => w.child.pid!);
    const rssTimer = setTimeout(() => (rss = sampleRss(workerPids)), peakFrom - start);
    const cpu = cpuWindow([sys.apiProcess!.child.pid!, process.pid, ...workerPids], from, to);
    const pgCpu = postgresCpuWindow(sys.db.sql, from, to);
    const sampler = setInterval(() => {
      const now = performance.now();
      if (now < peakFrom || now > to) return;
      const inFlight = sys.sim.inFlight();
      if (inFlight > maxInFlight) [maxInFlight, maxInFlightAt] = [inFlight, now];
      if (now < from) return;
      sampled++;
      if (open > inFlight) {
        busy.push(inFlight);
        waiting.push(open - inFlight);
      }
    }, 100);
    const drainTimer = setTimeout(() => stopWaiting.forEach((c) => c.abort()), to + cfg.drainSeconds * 1000 - start);
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    log(`${name}: ${cfg.clients} clients start over ${cfg.llmLatencyMs} ms; warm-up ${cfg.warmupSeconds} s, measuring ${cfg.measureSeconds} s`);
    await Promise.all(
      sessions.map(async (sessionId, c) => {
        await sleep(Math.floor((c * cfg.llmLatencyMs) / cfg.clients));
        const conn = new Client(sys.api.url, { pipelining: 1 });
        clients.push(conn);
        const signal = stopWaiting[c]!.signal;
        for (let n = 0; performance.now() < to; n++) {
          const input = `bench slots ${tag} client ${c} turn ${n}`;
          const sentAt = performance.now();
          open++;
          try {
            const submitted = await submitTurn(conn, sessionId, input, `slots-${tag}-${c}-${n}`, signal, cfg.submitWaitSeconds);
            const t = await waitTerminal(conn, submitted, signal);
            const doneAt = performance.now();
            samples.push({ sessionId, turnId: t.id, input, position: t.position, status: t.status, output: t.output, sentAt, doneAt });
          } catch (err) {
            if (signal.aborted) {
              abandoned++;
              break;
            }
            errors.push((err as Error).message);
            await sleep(100); // a broken system must not become a busy loop
          } finally {
            open--;
          }
        }
      }),
    );
    clearInterval(sampler);
    clearTimeout(drainTimer);
    loopDelay.disable();
    clearTimeout(rssTimer);
    const workerRss = rss?.stop() ?? { max: 0, final: 0 };
    const window = cpu.result();
    const pg = pgCpu.result();
    const cores = (i: number) => (window ? Math.round(((window.end.cpuMs[i]! - window.start.cpuMs[i]!) / (window.end.at - window.start.at)) * 100) / 100 : Number.NaN);
    llm.stop();
    const turns = samples.filter((s) => s.doneAt >= from && s.doneAt <= to).length;
    const violations = {
      ...(await retryWhenPostgresFull("slots: order check", () => databaseViolations(sys.db.sql))),
      ...observedViolations(samples, llm),
    };
    const orderViolations = Object.values(violations).reduce((a, b) => a + b, 0);
    const failures = runFailures(errors, samples, violations);
    if (samples.length === 0) failures.push("no turn completed at all");
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
    const run: SlotsRun = {
      workers: cfg.workers,
      workerConcurrency: cfg.concurrency,
      clients: cfg.clients,
      turns,
      turnsPerSec: round1(turns / cfg.measureSeconds),
      ceilingTurnsPerSec: round1((cfg.workers * cfg.concurrency * 1000) / cfg.llmLatencyMs),
      llmCallMsAvg: round1(mean([...llm.byInput.values()].map((x) => x.endedAt - x.startedAt))),
      busySlotsAvg: round1(mean(busy)),
      samplesWithTurnsWaiting: sampled ? Math.round((busy.length / sampled) * 100) / 100 : 0,
      turnsWaitingAvg: round1(mean(waiting)),
      firstCompletionSec: samples.length ? round1((samples.reduce((m, x) => Math.min(m, x.doneAt), Infinity) - start) / 1000) : null,
      abandonedTurns: abandoned,
      maxInFlight,
      maxInFlightAtSec: maxInFlightAt === undefined ? null : round1((maxInFlightAt - start) / 1000),
      workerRssMiB: { max: round1(workerRss.max), final: round1(workerRss.final) },
      benchLoopDelayMs: { p99: round1(loopDelay.percentile(99) / 1e6), max: round1(loopDelay.max / 1e6) },
      cpuCores: {
        api: cores(0),
        workers: Math.round(workerPids.reduce((sum, _, i) => sum + cores(2 + i), 0) * 100) / 100,
        bench: cores(1),
        postgres: pg && window ? Math.round((pg.cpuMs / (window.end.at - window.start.at)) * 100) / 100 : null,
      },
    };
    log(
      `${name}: ${samples.length} turns in all, ${turns} measured (${run.turnsPerSec}/s of ${run.ceilingTurnsPerSec}); ` +
        `busy slots ${run.busySlotsAvg}/${cfg.workers * cfg.concurrency}, at most ${maxInFlight} in flight; worker RSS max ${run.workerRssMiB.max} MiB; first completion after ${run.firstCompletionSec} s; ` +
        `${abandoned} turns not waited for; ${transportRetryCount() - retriesBefore} requests sent again after a broken connection; ` +
        `violations ${JSON.stringify(violations)}`,
    );
    return { ...run, failures, violations: orderViolations };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await sys.stop();
    log(`${name}: system stopped`);
  }
}
