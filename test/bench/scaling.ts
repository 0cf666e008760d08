import { intEnv, type PartOutcome } from "./bench-env.ts";
import { slotsRun, type SlotsRun } from "./slots.ts";
import { atLeast, atMost, exactly, targetsMet, type Goal } from "./targets.ts";

type Run = Omit<SlotsRun, "samplesWithTurnsWaiting" | "turnsWaitingAvg" | "firstCompletionSec">;

export interface ScalingResult {
  llmLatencyMs: number;
  concurrencyPerWorker: number;
  /** Turns/s with 1, 2 and 4 worker processes of the same concurrency, I/O-bound (LLM 2 s). */
  runs: Run[];
  /** Turns/s of 2 and of 4 workers ÷ turns/s of 1, same run. */
  twoVsOne: Goal;
  fourVsOne: Goal;
  /** One worker holding as many slow turns as it can (LLM 20 s): turns in flight and its RSS. */
  inFlight: {
    llmLatencyMs: number;
    slots: number;
    /** The most LLM calls open at once from the clients' start to the end of the window, and when. */
    maxInFlight: Goal;
    maxInFlightAtSec: number | null;
    /** The worker's largest RSS over the same span (the first wave and a full wave of churn after it). */
    workerRssMaxMiB: Goal;
    /** Over the window: turns/s, and the LLM calls open on average (what the machine sustains). */
    turnsPerSec: number;
    busySlotsAvg: number;
    llmCallMsAvg: number;
    cpuCores: SlotsRun["cpuCores"];
    /** The bench process's own event-loop delay: clients and simulator share it (see slots.ts). */
    benchLoopDelayMs: { p99: number; max: number };
  };
  orderViolations: Goal;
  targetsMet: string;
}

/**
 * Issue #11's "N workers do N times the I/O-bound work": LLM at 2 s and more sessions than slots,
 * so every worker is kept full and the figure is what the workers sustain, not the load. Then one
 * worker with 5,000 slots and a 20 s LLM: how many turns it holds at once and at what RSS.
 */
export async function runScalingBench(): Promise<PartOutcome<ScalingResult>> {
  const llmLatencyMs = intEnv("BENCH_SCALING_LLM_MS", 2000);
  const concurrency = intEnv("BENCH_SCALING_CONCURRENCY", 50);
  const common = {
    llmLatencyMs,
    concurrency,
    warmupSeconds: intEnv("BENCH_SCALING_WARMUP_SECONDS", 5, 0),
    measureSeconds: intEnv("BENCH_SCALING_SECONDS", 12),
    drainSeconds: intEnv("BENCH_SLOTS_DRAIN_SECONDS", 10, 0),
  };
  const failures: string[] = [];
  const runs: Run[] = [];
  let violations = 0;
  for (const workers of [1, 2, 4]) {
    const r = await slotsRun({ ...common, name: `scaling ${workers}w`, workers, clients: Math.ceil(workers * concurrency * 1.25) });
    failures.push(...r.failures.map((f) => `${workers} workers: ${f}`));
    violations += r.violations;
    const { failures: _f, violations: _v, samplesWithTurnsWaiting: _s, turnsWaitingAvg: _w, firstCompletionSec: _c, ...run } = r;
    runs.push(run);
  }
  const slots = intEnv("BENCH_INFLIGHT_SLOTS", 5000);
  const slowMs = intEnv("BENCH_INFLIGHT_LLM_MS", 20_000);
  const held = await slotsRun({
    name: `in flight ${slots}`,
    workers: 1,
    llmLatencyMs: slowMs,
    concurrency: slots,
    clients: Math.ceil(slots * 1.05),
    // A full wave of slow turns before the window, and a window of one LLM duration.
    warmupSeconds: intEnv("BENCH_INFLIGHT_WARMUP_SECONDS", Math.ceil(slowMs / 1000) + 5, 0),
    measureSeconds: intEnv("BENCH_INFLIGHT_SECONDS", Math.ceil(slowMs / 1000)),
    drainSeconds: 0,
    // Holding 5,000 turns of 20 s takes 250 turns/s through API and Postgres on the same cores:
    // one request a turn (the API's cheapest use) leaves them more of the machine than two.
    submitWaitSeconds: 45,
    // Holding them all at once happens at the end of the first wave; a full wave of churn follows.
    peakFromStart: true,
  });
  failures.push(...held.failures.map((f) => `in flight: ${f}`));
  violations += held.violations;
  const base = runs[0]!.turnsPerSec;
  const ratio = (r: Run | undefined) => (r && base > 0 ? Math.round((r.turnsPerSec / base) * 100) / 100 : null);
  const result: Omit<ScalingResult, "targetsMet"> = {
    llmLatencyMs,
    concurrencyPerWorker: concurrency,
    runs,
    twoVsOne: atLeast(ratio(runs[1]), 1.8),
    fourVsOne: atLeast(ratio(runs[2]), 3.4),
    inFlight: {
      llmLatencyMs: slowMs,
      slots,
      maxInFlight: atLeast(held.maxInFlight, 5000),
      maxInFlightAtSec: held.maxInFlightAtSec,
      workerRssMaxMiB: atMost(held.workerRssMiB.max, 512),
      turnsPerSec: held.turnsPerSec,
      busySlotsAvg: held.busySlotsAvg,
      llmCallMsAvg: held.llmCallMsAvg,
      cpuCores: held.cpuCores,
      benchLoopDelayMs: held.benchLoopDelayMs,
    },
    orderViolations: exactly(violations, 0),
  };
  return { result: { ...result, targetsMet: targetsMet(result) }, failures };
}
