import { randomBytes } from "node:crypto";
import { startBenchSystem, type BenchSystemOptions } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { LlmTimes } from "./llm-times.ts";
import { databaseViolations, observedViolations } from "./order-check.ts";
import { cpuWindow, postgresCpuWindow, stealPercent } from "./proc-cpu.ts";
import { sampleRss, type RssSampler } from "./rss.ts";
import { stageSplit, type StageSplit } from "./stage-split.ts";
import { round1, summary } from "./stats.ts";

export interface ScenarioConfig {
  llmLatencyMs: number;
  clients: number;
  workers: number;
  concurrency: number;
  warmupSeconds: number;
  measureSeconds: number;
  workerNodeArgs: string[];
  /** Each client submits with `Prefer: wait` (one request a turn) instead of submit + long-poll. */
  submitWaits?: boolean;
  /** Appended to every input, e.g. a simulator directive (closed-loop.ts). */
  inputSuffix?: string;
  /** Label in progress lines; default "llm <latency> ms". */
  name?: string;
  /** More system settings (child API with tracing, worker env…) for scenarios built on this one. */
  system?: Pick<BenchSystemOptions, "sim" | "workerEnv" | "childApi">;
}

export interface ScenarioResult {
  llmLatencyMs: number;
  clients: number;
  workers: number;
  turns: number;
  turnsPerSec: number;
  e2eMs: { p50: number; p99: number };
  overheadMs: { p50: number; p99: number };
  /** Where the overhead's p50 goes, stage by stage (stage-split.ts); null when no turn was measured. */
  stagesMs: StageSplit | null;
  orderViolations: number;
  workerRssMiB: { max: number; final: number };
  /**
   * CPU time per measured turn (/proc, proc-cpu.ts): the API process (null when the API runs inside
   * the bench process), the workers together, the bench process (clients and LLM simulator), the
   * Postgres backends (a lower bound). With one client each turn's hops run one after another, so
   * their sum is close to its overhead: what one turn costs when nothing is shared with another.
   */
  cpuMsPerTurn: { api: number | null; workers: number; bench: number; postgres: number | null };
  /** The machine's CPU time the hypervisor gave to others over the window, % (proc-cpu.ts). */
  stealPct: number | null;
  /** Read system calls of the workers together per measured turn: how often their sockets woke them. */
  workerReadsPerTurn: number | null;
  /** Not printed in the JSON line; they decide the exit code. */
  failures: string[];
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** One scenario on a system of its own, so scenarios cannot influence each other. */
export async function runScenario(cfg: ScenarioConfig): Promise<ScenarioResult> {
  const name = cfg.name ?? `llm ${cfg.llmLatencyMs} ms`;
  log(`${name}: starting system (${cfg.workers} workers × concurrency ${cfg.concurrency})`);
  const { llmLatencyMs, workers, concurrency, workerNodeArgs } = cfg;
  const sys = await startBenchSystem({ llmLatencyMs, workers, concurrency, workerNodeArgs, ...cfg.system });
  try {
    const llm = new LlmTimes(sys.sim);
    llm.start();
    let window = { from: 0, to: 0 };
    let rss: RssSampler | undefined;
    let rssTimer: NodeJS.Timeout | undefined;
    const apiPid = sys.apiProcess?.child.pid;
    const workerPids = sys.workers.map((w) => w.child.pid!);
    // API (when a child), workers, this process: one snapshot each at the window's ends.
    const pids = [...(apiPid ? [apiPid] : []), ...workerPids, process.pid];
    let cpu: ReturnType<typeof cpuWindow> | undefined;
    let pgCpu: ReturnType<typeof postgresCpuWindow> | undefined;
    const loop = await runClosedLoop({
      baseUrl: sys.api.url,
      clients: cfg.clients,
      tag: randomBytes(3).toString("hex"),
      submitWaits: cfg.submitWaits ?? false,
      ...(cfg.inputSuffix ? { inputSuffix: cfg.inputSuffix } : {}),
      onStart(now) {
        window = { from: now + cfg.warmupSeconds * 1000, to: now + (cfg.warmupSeconds + cfg.measureSeconds) * 1000 };
        log(`${name}: ${cfg.clients} clients running; warm-up ${cfg.warmupSeconds} s, measuring ${cfg.measureSeconds} s`);
        cpu = cpuWindow(pids, window.from, window.to);
        pgCpu = postgresCpuWindow(sys.db.sql, window.from, window.to);
        rssTimer = setTimeout(() => (rss = sampleRss(workerPids)), cfg.warmupSeconds * 1000);
        return window.to;
      },
    });
    // Clients stop submitting at the window's end and finish their last turn, so this is near it.
    clearTimeout(rssTimer);
    const rssResult = rss?.stop() ?? { max: 0, final: 0 };
    llm.stop();
    const cpuSpent = cpu?.result();
    const pgSpent = pgCpu?.result();

    const measured = loop.samples.filter((s) => s.doneAt >= window.from && s.doneAt <= window.to);
    const e2e = measured.map((s) => s.doneAt - s.sentAt);
    const overhead: number[] = [];
    for (const s of measured) {
      const call = llm.byInput.get(s.input);
      if (call) overhead.push(s.doneAt - s.sentAt - (call.endedAt - call.startedAt));
    }
    const stagesMs = await stageSplit(sys.db.sql, measured, llm.byInput);
    const violations = { ...(await databaseViolations(sys.db.sql)), ...observedViolations(loop.samples, llm) };
    const orderViolations = Object.values(violations).reduce((a, b) => a + b, 0);

    const failures = [
      ...loop.errors.slice(0, 5),
      ...loop.samples.filter((s) => s.status !== "completed").slice(0, 5).map((s) => `turn ${s.turnId} ended ${s.status}`),
    ];
    const failed = loop.errors.length + loop.samples.filter((s) => s.status !== "completed").length;
    if (failed > 0) failures.unshift(`${failed} turns or requests failed`);
    if (orderViolations > 0) failures.push(`order violations: ${JSON.stringify(violations)}`);
    const unmatched = measured.length - overhead.length;
    log(
      `${name}: ${loop.samples.length} turns in all, ${measured.length} measured; ${failed} failed; ` +
        `${unmatched} without an LLM record; ${llm.repeats} repeated LLM calls; violations ${JSON.stringify(violations)}`,
    );
    return {
      llmLatencyMs: cfg.llmLatencyMs,
      clients: cfg.clients,
      workers: cfg.workers,
      turns: measured.length,
      turnsPerSec: round1(measured.length / cfg.measureSeconds),
      e2eMs: summary(e2e),
      overheadMs: summary(overhead),
      stagesMs,
      orderViolations,
      workerRssMiB: { max: round1(rssResult.max), final: round1(rssResult.final) },
      cpuMsPerTurn: cpuPerTurn(cpuSpent, apiPid !== undefined, workerPids.length, pgSpent?.cpuMs, measured.length),
      stealPct: stealPercent(cpuSpent),
      workerReadsPerTurn: workerReads(cpuSpent, apiPid !== undefined, workerPids.length, measured.length),
      failures,
    };
  } finally {
    await sys.stop();
    log(`${name}: system stopped`);
  }
}

/** ScenarioResult.cpuMsPerTurn from the window's snapshots (pids: [api?], workers…, bench). */
function cpuPerTurn(
  spent: ReturnType<ReturnType<typeof cpuWindow>["result"]>,
  hasApi: boolean,
  workers: number,
  postgresMs: number | undefined,
  turns: number,
): ScenarioResult["cpuMsPerTurn"] {
  const per = (ms: number) => (turns > 0 ? Math.round((ms / turns) * 100) / 100 : Number.NaN);
  if (!spent) return { api: null, workers: Number.NaN, bench: Number.NaN, postgres: null };
  const used = (i: number) => spent.end.cpuMs[i]! - spent.start.cpuMs[i]!;
  const slots = workerSlots(hasApi, workers);
  return {
    api: hasApi ? per(used(0)) : null,
    workers: per(slots.reduce((ms, i) => ms + used(i), 0)),
    bench: per(used(slots.length + (hasApi ? 1 : 0))),
    postgres: postgresMs === undefined ? null : per(postgresMs),
  };
}

/** ScenarioResult.workerReadsPerTurn from the same snapshots, or null when /proc could not be read. */
function workerReads(spent: ReturnType<ReturnType<typeof cpuWindow>["result"]>, hasApi: boolean, workers: number, turns: number): number | null {
  if (!spent || turns <= 0) return null;
  let reads = 0;
  for (const i of workerSlots(hasApi, workers)) {
    const a = spent.start.events[i];
    const b = spent.end.events[i];
    if (!a || !b) return null;
    reads += b.reads - a.reads;
  }
  return round1(reads / turns);
}

/** Where the workers sit in the window's pids ([api?], workers…, bench). */
function workerSlots(hasApi: boolean, workers: number): number[] {
  return Array.from({ length: workers }, (_, k) => k + (hasApi ? 1 : 0));
}
