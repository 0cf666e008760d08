import { baseScenario, hotLoopSettings, intEnv, log, words, type PartOutcome } from "./bench-env.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { median, round1 } from "./stats.ts";
import { atLeast, targetsMet, type Goal } from "./targets.ts";

interface Run {
  turns: number;
  turnsPerSec: number;
  e2eMs: { p50: number; p99: number };
  overheadMs: { p50: number; p99: number };
  /** CPU time per turn of the API and of the workers together (scenario.ts): what each mode costs, steadier than turns/s. */
  cpuMsPerTurn: { api: number; workers: number };
}

/** `disabled`: OTEL_SDK_DISABLED=true, no telemetry at all (the floor); `none`: the default, metrics on
 * and spans made but not recorded (no exporter, as `npm run dev` and `hotpath` run); `on`: every span
 * exported over OTLP/HTTP protobuf. */
type Mode = "disabled" | "none" | "on";

export interface TracingResult {
  clients: number;
  workers: number;
  llmLatencyMs: number;
  /** Runs per mode; each round runs the three modes back to back, alternately forwards and backwards. */
  rounds: number;
  /** Means over the rounds; `turns` is the total measured. */
  disabled: Run;
  none: Run;
  on: Run;
  /**
   * Throughput kept when spans are exported (< 1 is a loss) and how much turnq's own time grows:
   * `vsNone` against the same system exporting nothing (the "tracing exported vs off": only
   * the export differs), `vsDisabled` against no telemetry at all (metrics off too). Each is the
   * median (nearest rank) over the rounds of that round's ratio: on this shared machine the
   * background load swings more between minutes than within a round (one pair per mean gave
   * 0.77-0.98 for the same code in one afternoon).
   */
  ratios: { vsNone: { turnsPerSec: Goal; overheadP50: number }; vsDisabled: { turnsPerSec: number; overheadP50: number } };
  /** Each round's turns/s per mode and its ratios, in run order. */
  byRound: { disabled: number; none: number; on: number; vsNone: number; vsDisabled: number }[];
  /** What the OTLP endpoint received in the "on" runs: proof that tracing was really on. */
  spans: number;
  traces: number;
  services: string[];
  targetsMet: string;
}

/**
 * What tracing costs: the 0 ms closed loop (where turnq's own CPU is all there is, so any added
 * work shows) run on otherwise identical systems: API and workers as child processes started like
 * `npm run start:*` (node --import @turnq/telemetry/register), in each of the three modes above,
 * exporting to a receiver in a process of its own. Each run gets a fresh system (database, Redis
 * prefix, processes), as every scenario does.
 */
export async function runTracingBench(): Promise<PartOutcome<TracingResult>> {
  const base = baseScenario();
  const { apiNodeArgs } = hotLoopSettings(); // BENCH_API_NODE_ARGS, to profile the API beside the workers
  const cfg = {
    ...base,
    llmLatencyMs: 0,
    warmupSeconds: intEnv("BENCH_TRACING_WARMUP_SECONDS", 2, 0),
    measureSeconds: intEnv("BENCH_TRACING_SECONDS", 8),
  };
  // disabled, none, on, then on, none, disabled…: on a shared machine the background load drifts;
  // alternating the order gives every mode the same average position in time.
  const rounds = intEnv("BENCH_TRACING_ROUNDS", 4);
  const forwards: Mode[] = ["disabled", "none", "on"];
  const order = Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? forwards : [...forwards].reverse())).flat();
  const failures: string[] = [];
  const runs: Record<Mode, ScenarioResult[]> = { disabled: [], none: [], on: [] };
  const sink = await startOtlpSink();
  const envOf: Record<Mode, Record<string, string>> = {
    disabled: { OTEL_SDK_DISABLED: "true" },
    none: {},
    // BENCH_TRACING_ON_ENV: more OTEL_* settings for the exporting runs (batch sizes, protocol), to compare.
    on: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, ...Object.fromEntries(words(process.env.BENCH_TRACING_ON_ENV).map((kv) => kv.split("=", 2) as [string, string])) },
  };
  let received: Awaited<ReturnType<typeof sink.stop>>;
  try {
    for (const [i, mode] of order.entries()) {
      const r = await runScenario({ ...cfg, name: `tracing ${mode} (${i + 1}/${order.length})`, system: { childApi: { env: envOf[mode], nodeArgs: apiNodeArgs } } });
      runs[mode].push(r);
      failures.push(...r.failures.map((f) => `tracing ${mode}: ${f}`));
    }
  } finally {
    // Each system has stopped by now, and API and workers flush their spans on SIGTERM.
    received = await sink.stop();
  }
  if (received.spans === 0) failures.push("tracing on: the OTLP receiver got no spans");
  log(`tracing: received ${received.spans} spans in ${received.traces} traces from ${received.services.join(", ")}`);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  // Round i ran each mode once, next to each other in time: runs[mode][i] belong together.
  const perRound = runs.on.map((on, i) => {
    const none = runs.none[i]!;
    const disabled = runs.disabled[i]!;
    return {
      disabled: disabled.turnsPerSec,
      none: none.turnsPerSec,
      on: on.turnsPerSec,
      vsNone: round2(on.turnsPerSec / none.turnsPerSec),
      vsDisabled: round2(on.turnsPerSec / disabled.turnsPerSec),
      overheadVsNone: on.overheadMs.p50 / none.overheadMs.p50,
      overheadVsDisabled: on.overheadMs.p50 / disabled.overheadMs.p50,
    };
  });
  const mid = (f: (r: (typeof perRound)[number]) => number) => round2(median(perRound.map(f)));
  const result: Omit<TracingResult, "targetsMet"> = {
    clients: cfg.clients,
    workers: cfg.workers,
    llmLatencyMs: 0,
    rounds,
    disabled: mean(runs.disabled),
    none: mean(runs.none),
    on: mean(runs.on),
    ratios: {
      vsNone: { turnsPerSec: atLeast(mid((r) => r.vsNone), 0.9), overheadP50: mid((r) => r.overheadVsNone) },
      vsDisabled: { turnsPerSec: mid((r) => r.vsDisabled), overheadP50: mid((r) => r.overheadVsDisabled) },
    },
    byRound: perRound.map(({ disabled, none, on, vsNone, vsDisabled }) => ({ disabled, none, on, vsNone, vsDisabled })),
    spans: received.spans,
    traces: received.traces,
    services: received.services,
  };
  return { result: { ...result, targetsMet: targetsMet(result) }, failures };
}

/** Mean over the rounds of one mode (percentiles are per round, then averaged). */
function mean(rs: ScenarioResult[]): Run {
  const avg = (f: (r: ScenarioResult) => number) => round1(rs.reduce((a, r) => a + f(r), 0) / rs.length);
  const avg2 = (f: (r: ScenarioResult) => number) => Math.round((rs.reduce((a, r) => a + f(r), 0) / rs.length) * 100) / 100;
  return {
    turns: rs.reduce((a, r) => a + r.turns, 0),
    turnsPerSec: avg((r) => r.turnsPerSec),
    e2eMs: { p50: avg((r) => r.e2eMs.p50), p99: avg((r) => r.e2eMs.p99) },
    overheadMs: { p50: avg((r) => r.overheadMs.p50), p99: avg((r) => r.overheadMs.p99) },
    cpuMsPerTurn: { api: avg2((r) => r.cpuMsPerTurn.api ?? Number.NaN), workers: avg2((r) => r.cpuMsPerTurn.workers) },
  };
}
