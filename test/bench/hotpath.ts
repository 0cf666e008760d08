import { randomBytes } from "node:crypto";
import { hotLoopSettings, log, machineCpuMsPerTurn, type BenchContext, type PartOutcome, type ReferenceFigures } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { LlmTimes } from "./llm-times.ts";
import { databaseViolations, observedViolations } from "./order-check.ts";
import { retryWhenPostgresFull } from "./pg-retry.ts";
import { cpuWindow, eventsPerTurn, perTurnEvents, postgresCpuWindow, stealPercent, type ProcEvents } from "./proc-cpu.ts";
import { commandsPerTurnText, perTurnOf, redisWindow } from "./redis-window.ts";
import { startOwnRedis } from "../support/redis-server.ts";
import { runReferenceBench } from "./reference.ts";
import { readRssMiB, sampleRss, type RssSampler } from "./rss.ts";
import { round1, summary } from "./stats.ts";
import { atLeast, atMost, exactly, ratio, targetsMet, type Goal } from "./targets.ts";

export interface HotpathResult {
  clients: number;
  /** Turns a client sends in one session before opening the next; null: one session for the whole loop. */
  turnsPerSession: number | null;
  /** Sessions the clients used in all (more than `clients` when they open new ones). */
  sessions: number;
  /** How each client waits for its turn: one submit with Prefer: wait, or a submit and long-polls. */
  client: "submit with Prefer: wait" | "submit, then GET with Prefer: wait";
  workers: number;
  workerConcurrency: number;
  llmLatencyMs: number;
  turns: number;
  turnsPerSec: number;
  referenceTurnsPerSec: number | null;
  /**
   * turnsPerSec / the reference's, same run, same machine: the median over `pairs`. The other
   * figures of this result are those of the pair with that median ratio.
   */
  vsReference: Goal;
  /**
   * Each reference closed loop run right before a turnq one, in run order (BENCH_PAIRS, the first
   * being the `reference` part's own). On a shared VM the machine's speed drifts by a quarter from
   * one half-minute to the next (every process's CPU per turn, Postgres's included, moves
   * together), so one pair can say 0.42 and the next 0.63 for the same code: the median of a
   * few adjacent pairs is the figure that holds.
   */
  pairs: { reference: number; turnq: number; ratio: number | null; stealPct: { reference: number | null; turnq: number | null } }[];
  e2eMs: { p50: number; p99: number };
  /** CPU time (user + system) of each process over the window / turns completed in it. */
  cpuMsPerTurn: { api: Goal; worker: Goal };
  /** The same for the bench's own process: load generator (HTTP clients) and LLM simulator. */
  benchProcessCpuMsPerTurn: number;
  /** The same for the Postgres backends serving this run's database (a lower bound: see proc-cpu.ts). */
  postgresCpuMsPerTurn: number | null;
  /** Commands (inside scripts included, BullMQ's share too) and CPU ms of the part's own redis-server per turn. */
  redisPerTurn: { commands: Goal; cpuMs: number | null };
  /** API, worker, bench process, Postgres and redis-server together (bench-env.ts), and ÷ the reference's. */
  machineCpuMsPerTurn: { value: number | null; vsReference: number | null };
  /**
   * Read and write system calls and wake-ups (voluntary context switches) per turn of each process
   * (proc-cpu.ts): the round trips as the processes pay for them. No targets; they say where a turn's
   * hops are, beside the reference's.
   */
  eventsPerTurn: { api: ProcEvents | null; worker: ProcEvents | null; bench: ProcEvents | null; postgres: ProcEvents | null };
  /** Right after the loop. */
  rssMiB: { api: Goal; worker: Goal };
  /** Largest sample over the window. */
  rssMaxMiB: { api: number; worker: number };
  /** The machine's CPU time the hypervisor gave to others over the window, % (proc-cpu.ts). */
  stealPct: number | null;
  orderViolations: Goal;
  targetsMet: string;
}

/**
 * Issue #8's hot path: turnq as deployed, one API process (child, tracing on but not exported) and
 * one worker process (200 slots), LLM at 0 ms so turnq's own cost is all there is, 200 clients in
 * the closed loop (POST the turn, long-poll it until terminal). Turns/s against the reference's,
 * e2e, CPU per turn of API and worker separately (/proc CPU time at window start and end), RSS,
 * and the per-session order check.
 */
export async function runHotpathBench(ctx: BenchContext): Promise<PartOutcome<HotpathResult>> {
  const cfg = hotLoopSettings();
  const runs: { reference: ReferenceFigures | undefined; outcome: PartOutcome<Omit<HotpathResult, "targetsMet" | "pairs">> }[] = [];
  const failures: string[] = [];
  for (let pair = 1; pair <= (ctx.reference ? cfg.pairs : 1); pair++) {
    let reference = ctx.reference;
    if (pair > 1) {
      log(`hotpath: pair ${pair} of ${cfg.pairs}: the reference's closed loop again, then turnq's`);
      const again = await runReferenceBench({ burst: false });
      failures.push(...again.failures.map((f) => `reference (pair ${pair}): ${f}`));
      reference = again.figures;
    }
    const outcome = await runHotpathOnce(reference);
    failures.push(...outcome.failures);
    runs.push({ reference, outcome });
  }
  const pairs = runs.map((r) => ({
    reference: r.reference?.turnsPerSec ?? Number.NaN,
    turnq: r.outcome.result.turnsPerSec,
    ratio: ratio(r.outcome.result.turnsPerSec, r.reference?.turnsPerSec),
    stealPct: { reference: r.reference?.stealPct ?? null, turnq: r.outcome.result.stealPct },
  }));
  // The pair with the median ratio (the lower middle one of an even count): its figures stand for the run.
  const order = runs.map((_, i) => i).sort((a, b) => (pairs[a]!.ratio ?? 0) - (pairs[b]!.ratio ?? 0));
  const median = runs[order[Math.floor((order.length - 1) / 2)]!]!.outcome.result;
  if (runs.length > 1) log(`hotpath: ratios of the ${runs.length} pairs ${pairs.map((p) => p.ratio).join(", ")}; median ${median.vsReference.value}`);
  const result = { ...median, pairs };
  return { result: { ...result, targetsMet: targetsMet(result) }, failures };
}

/** One turnq closed loop, its ratios against `reference` (a closed loop run right before it). */
async function runHotpathOnce(reference: ReferenceFigures | undefined): Promise<PartOutcome<Omit<HotpathResult, "targetsMet" | "pairs">>> {
  const cfg = hotLoopSettings();
  log(`hotpath: starting 1 API + 1 worker × concurrency ${cfg.concurrency} (tracing on, not exported), ${cfg.clients} clients`);
  // The same work per turn as the reference: a window of at most the last 40 log entries.
  // A redis-server of its own, so its INFO counts this system's commands only (redis-window.ts).
  const redis = await startOwnRedis();
  const sys = await startBenchSystem({
    redisUrl: redis.url,
    llmLatencyMs: 0,
    workers: 1,
    concurrency: cfg.concurrency,
    childApi: { env: {}, nodeArgs: cfg.apiNodeArgs },
    workerNodeArgs: cfg.workerNodeArgs,
    workerEnv: { CONTEXT_WINDOW_MESSAGES: String(cfg.windowMessages) },
  }).catch(async (err) => {
    await redis.stop();
    throw err;
  });
  try {
    const apiPid = sys.apiProcess!.child.pid!;
    const workerPid = sys.workers[0]!.child.pid!;
    const llm = new LlmTimes(sys.sim);
    llm.start();
    let cpu: ReturnType<typeof cpuWindow> | undefined;
    let pgCpu: ReturnType<typeof postgresCpuWindow> | undefined;
    let redisCost: ReturnType<typeof redisWindow> | undefined;
    let rss: [RssSampler, RssSampler] | undefined;
    let rssTimer: NodeJS.Timeout | undefined;
    const loop = await runClosedLoop({
      baseUrl: sys.api.url,
      clients: cfg.clients,
      submitWaits: cfg.submitWaits,
      turnsPerSession: cfg.sessionTurns || undefined,
      tag: randomBytes(3).toString("hex"),
      onStart(now) {
        const from = now + cfg.warmupSeconds * 1000;
        const to = from + cfg.measureSeconds * 1000;
        cpu = cpuWindow([apiPid, workerPid, process.pid], from, to);
        pgCpu = postgresCpuWindow(sys.db.sql, from, to);
        redisCost = redisWindow(redis.url, from, to);
        rssTimer = setTimeout(() => (rss = [sampleRss([apiPid]), sampleRss([workerPid])]), from - now);
        log(`hotpath: ${cfg.clients} clients running; warm-up ${cfg.warmupSeconds} s, measuring ${cfg.measureSeconds} s`);
        return to;
      },
    });
    clearTimeout(rssTimer);
    const rssMax = rss ? [rss[0].stop().max, rss[1].stop().max] : [0, 0];
    const rssFinal = [readRssMiB(apiPid) ?? Number.NaN, readRssMiB(workerPid) ?? Number.NaN];
    llm.stop();
    const window = cpu?.result();
    const pg = pgCpu?.result();
    const redisSpent = await redisCost?.result();

    const measured = window ? loop.samples.filter((s) => s.doneAt >= window.start.at && s.doneAt <= window.end.at) : [];
    const turns = measured.length;
    const seconds = window ? (window.end.at - window.start.at) / 1000 : Number.NaN;
    const turnsPerSec = round1(turns / seconds);
    const perTurn = (i: number) =>
      window ? Math.round(((window.end.cpuMs[i]! - window.start.cpuMs[i]!) / turns) * 100) / 100 : Number.NaN;
    const violations = {
      ...(await retryWhenPostgresFull("hotpath: order check", () => databaseViolations(sys.db.sql))),
      ...observedViolations(loop.samples, llm),
    };
    const orderViolations = Object.values(violations).reduce((a, b) => a + b, 0);

    const notCompleted = loop.samples.filter((s) => s.status !== "completed");
    const failures: string[] = [];
    if (loop.errors.length + notCompleted.length > 0) {
      failures.push(
        `${loop.errors.length + notCompleted.length} turns or requests failed: ` +
          [...loop.errors.slice(0, 3), ...notCompleted.slice(0, 3).map((s) => `turn ${s.turnId} ended ${s.status}`)].join("; "),
      );
    }
    if (orderViolations > 0) failures.push(`order violations: ${JSON.stringify(violations)}`);
    if (turns === 0) failures.push("no turn completed in the measure window");
    log(
      `hotpath: ${loop.samples.length} turns in all, ${turns} measured, ${turnsPerSec}/s; ` +
        `${loop.errors.length + notCompleted.length} failed; violations ${JSON.stringify(violations)}`,
    );
    log(`hotpath: Redis commands per turn: ${commandsPerTurnText(redisSpent?.byCommand, turns)}`);
    const result: Omit<HotpathResult, "targetsMet" | "pairs"> = {
      clients: cfg.clients,
      turnsPerSession: cfg.sessionTurns || null,
      sessions: new Set(loop.samples.map((t) => t.sessionId)).size,
      client: cfg.submitWaits ? "submit with Prefer: wait" : "submit, then GET with Prefer: wait",
      workers: 1,
      workerConcurrency: cfg.concurrency,
      llmLatencyMs: 0,
      turns,
      turnsPerSec,
      referenceTurnsPerSec: reference?.turnsPerSec ?? null,
      vsReference: atLeast(ratio(turnsPerSec, reference?.turnsPerSec), 0.7),
      e2eMs: summary(measured.map((s) => s.doneAt - s.sentAt)),
      cpuMsPerTurn: { api: atMost(perTurn(0), 1.5), worker: atMost(perTurn(1), 2.5) },
      benchProcessCpuMsPerTurn: perTurn(2),
      postgresCpuMsPerTurn: pg && turns > 0 ? Math.round((pg.cpuMs / turns) * 100) / 100 : null,
      redisPerTurn: redisGoal(perTurnOf(redisSpent, turns)),
      machineCpuMsPerTurn: machineCpu(
        [perTurn(0), perTurn(1), perTurn(2), pg && turns > 0 ? pg.cpuMs / turns : null, perTurnOf(redisSpent, turns)?.cpuMs],
        reference?.machineCpuMsPerTurn,
      ),
      eventsPerTurn: {
        api: window ? eventsPerTurn(window.start, window.end, 0, turns) : null,
        worker: window ? eventsPerTurn(window.start, window.end, 1, turns) : null,
        bench: window ? eventsPerTurn(window.start, window.end, 2, turns) : null,
        postgres: pg && turns > 0 ? perTurnEvents(pg.events, turns) : null,
      },
      rssMiB: { api: atMost(round1(rssFinal[0]!), 150), worker: atMost(round1(rssFinal[1]!), 200) },
      rssMaxMiB: { api: round1(rssMax[0]!), worker: round1(rssMax[1]!) },
      stealPct: stealPercent(window),
      orderViolations: exactly(orderViolations, 0),
    };
    return { result, failures };
  } finally {
    await sys.stop();
    await redis.stop();
    log("hotpath: system stopped");
  }
}

/** Issue #8: at most 60 Redis commands per plain turn, counted at the closed loop's load. */
function redisGoal(perTurn: { commands: number; cpuMs: number } | null): { commands: Goal; cpuMs: number | null } {
  return { commands: atMost(perTurn?.commands ?? Number.NaN, 60), cpuMs: perTurn?.cpuMs ?? null };
}

function machineCpu(parts: (number | null | undefined)[], reference: number | null | undefined): HotpathResult["machineCpuMsPerTurn"] {
  const value = machineCpuMsPerTurn(parts);
  return { value, vsReference: value !== null && reference ? Math.round((value / reference) * 100) / 100 : null };
}
