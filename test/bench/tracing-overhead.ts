import { baseScenario, intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { median, round1 } from "./stats.ts";

interface Run {
  turns: number;
  turnsPerSec: number;
  e2eMs: { p50: number; p99: number };
  overheadMs: { p50: number; p99: number };
}

export interface TracingResult {
  clients: number;
  workers: number;
  llmLatencyMs: number;
  /** Runs per mode, in ABBA order. */
  rounds: number;
  /** Means over the rounds; `turns` is the total measured. */
  off: Run;
  on: Run;
  /**
   * on / off: throughput kept with tracing (< 1 is a loss), and how much turnq's own time grows. Each
   * is the median (nearest rank) over the pairs of runs next to each other in time (`pairs`): on this shared machine
   * the background load swings more between minutes than within a pair (one pair per mean gave
   * 0.77-0.98 for the same code in one afternoon).
   */
  ratios: { turnsPerSec: number; overheadP50: number };
  /** Each off/on pair's turns/s and its ratio, in run order. */
  pairs: { off: number; on: number; ratio: number }[];
  /** What the OTLP endpoint received in the "on" run: proof that tracing was really on. */
  spans: number;
  traces: number;
  services: string[];
}

/**
 * What tracing costs: the 0 ms closed loop (where turnq's own CPU is all there is, so any added
 * work shows) run twice on otherwise identical systems: API and workers as child processes started
 * like `npm run start:*` (node --import @turnq/telemetry/register), once with OTEL_SDK_DISABLED=true
 * and once exporting every span over OTLP/HTTP protobuf to a receiver in a process of its own.
 * Each run gets a fresh system (database, Redis prefix, processes), as every scenario does.
 */
export async function runTracingBench(): Promise<PartOutcome<TracingResult>> {
  const base = baseScenario();
  const cfg = {
    ...base,
    llmLatencyMs: 0,
    warmupSeconds: intEnv("BENCH_TRACING_WARMUP_SECONDS", 2, 0),
    measureSeconds: intEnv("BENCH_TRACING_SECONDS", 8),
  };
  // off, on, on, off…: on a shared machine the background load drifts; an ABBA order gives both
  // modes the same average position in time, so drift does not read as tracing overhead.
  const rounds = intEnv("BENCH_TRACING_ROUNDS", 4);
  const order = Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? ["off", "on"] : ["on", "off"])).flat() as ("on" | "off")[];
  const failures: string[] = [];
  const runs: Record<"on" | "off", ScenarioResult[]> = { on: [], off: [] };
  const sink = await startOtlpSink();
  let received: Awaited<ReturnType<typeof sink.stop>>;
  try {
    for (const [i, mode] of order.entries()) {
      const env: Record<string, string> = mode === "on" ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : { OTEL_SDK_DISABLED: "true" };
      const r = await runScenario({ ...cfg, name: `tracing ${mode} (${i + 1}/${order.length})`, system: { childApi: { env } } });
      runs[mode].push(r);
      failures.push(...r.failures.map((f) => `tracing ${mode}: ${f}`));
    }
  } finally {
    // Each system has stopped by now, and API and workers flush their spans on SIGTERM.
    received = await sink.stop();
  }
  if (received.spans === 0) failures.push("tracing on: the OTLP receiver got no spans");
  log(`tracing: received ${received.spans} spans in ${received.traces} traces from ${received.services.join(", ")}`);
  const off = mean(runs.off);
  const on = mean(runs.on);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const ratio = (a: number, b: number) => round2(a / b);
  // Round i ran its off and on runs back to back (ABBA), so runs.off[i] and runs.on[i] are a pair.
  const pairs = runs.on.map((r, i) => ({ off: runs.off[i]!.turnsPerSec, on: r.turnsPerSec, ratio: ratio(r.turnsPerSec, runs.off[i]!.turnsPerSec) }));
  const overheadRatios = runs.on.map((r, i) => r.overheadMs.p50 / runs.off[i]!.overheadMs.p50);
  return {
    result: {
      clients: cfg.clients,
      workers: cfg.workers,
      llmLatencyMs: 0,
      rounds,
      off,
      on,
      ratios: { turnsPerSec: round2(median(pairs.map((p) => p.ratio))), overheadP50: round2(median(overheadRatios)) },
      pairs,
      spans: received.spans,
      traces: received.traces,
      services: received.services,
    },
    failures,
  };
}

/** Mean over the rounds of one mode (percentiles are per round, then averaged). */
function mean(rs: ScenarioResult[]): Run {
  const avg = (f: (r: ScenarioResult) => number) => round1(rs.reduce((a, r) => a + f(r), 0) / rs.length);
  return {
    turns: rs.reduce((a, r) => a + r.turns, 0),
    turnsPerSec: avg((r) => r.turnsPerSec),
    e2eMs: { p50: avg((r) => r.e2eMs.p50), p99: avg((r) => r.e2eMs.p99) },
    overheadMs: { p50: avg((r) => r.overheadMs.p50), p99: avg((r) => r.overheadMs.p99) },
  };
}
