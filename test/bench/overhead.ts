import { hotLoopSettings, intEnv, type PartOutcome } from "./bench-env.ts";
import { measureReferenceOverhead, type ReferenceOverhead } from "./reference-overhead.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { atMost, exactly, targetsMet, type Goal } from "./targets.ts";

export interface OverheadResult {
  llmLatencyMs: number;
  workers: number;
  workerConcurrency: number;
  loaded: { clients: number; turns: number; turnsPerSec: number; overheadMs: { p50: Goal; p99: Goal }; reference: ReferenceOverhead } & Costs;
  alone: { clients: 1; turns: number; overheadMs: { p50: Goal; p99: number }; reference: ReferenceOverhead } & Costs;
  client: string;
  orderViolations: Goal;
  targetsMet: string;
}

/** Where a turn's CPU went, and the host's steal over the window (scenario.ts): what explains the overhead. */
type Costs = Pick<ScenarioResult, "cpuMsPerTurn" | "stealPct" | "stagesMs">;

/**
 * What turnq adds to a turn beyond the LLM call, on the deployment (1 API + 1 worker as
 * child processes, tracing on but not exported): end-to-end minus the simulator's own time for
 * that turn's call (scenario.ts, LlmTimes), at 200 ms LLM latency. Once with 100 sessions in flight
 * in the closed loop, once with one client alone (no queueing for CPU: the floor). After each, the
 * plain BullMQ job per turn in the same shape (reference-overhead.ts), as the yardstick beside it.
 */
export async function runOverheadBench(): Promise<PartOutcome<OverheadResult>> {
  const { concurrency, warmupSeconds, measureSeconds, submitWaits, apiNodeArgs, workerNodeArgs, sessionTurns } = hotLoopSettings();
  const llmLatencyMs = intEnv("BENCH_OVERHEAD_LLM_MS", 200, 0);
  const clients = intEnv("BENCH_OVERHEAD_CLIENTS", 100);
  // API as a child process like the worker; tracing on, not exported; node flags as in hotpath (profiling).
  const system = { childApi: { env: {}, nodeArgs: apiNodeArgs } };
  // The client is hotpath's (BENCH_HOTPATH_SUBMIT_WAITS): by default one request a turn, as the README recommends.
  const common = { llmLatencyMs, workers: 1, concurrency, warmupSeconds, measureSeconds, workerNodeArgs, system, submitWaits };
  const refCommon = { llmLatencyMs, concurrency, warmupSeconds, measureSeconds, sessionTurns };
  const loaded = await runScenario({ ...common, clients, name: `overhead ${clients} clients` });
  const refLoaded = await measureReferenceOverhead({ ...refCommon, clients });
  const alone = await runScenario({ ...common, clients: 1, name: "overhead 1 client" });
  const refAlone = await measureReferenceOverhead({ ...refCommon, clients: 1 });
  const result: Omit<OverheadResult, "targetsMet"> = {
    llmLatencyMs,
    workers: 1,
    workerConcurrency: concurrency,
    loaded: {
      clients,
      turns: loaded.turns,
      turnsPerSec: loaded.turnsPerSec,
      overheadMs: { p50: atMost(loaded.overheadMs.p50, 25), p99: atMost(loaded.overheadMs.p99, 100) },
      reference: refLoaded.result,
      cpuMsPerTurn: loaded.cpuMsPerTurn,
      stealPct: loaded.stealPct,
      stagesMs: loaded.stagesMs,
    },
    alone: {
      clients: 1,
      turns: alone.turns,
      overheadMs: { p50: atMost(alone.overheadMs.p50, 5), p99: alone.overheadMs.p99 },
      reference: refAlone.result,
      cpuMsPerTurn: alone.cpuMsPerTurn,
      stealPct: alone.stealPct,
      stagesMs: alone.stagesMs,
    },
    client: submitWaits ? "submit with Prefer: wait" : "submit, then GET with Prefer: wait",
    orderViolations: exactly(loaded.orderViolations + alone.orderViolations, 0),
  };
  const failures = [
    ...loaded.failures.map((f) => `${clients} clients: ${f}`),
    ...alone.failures.map((f) => `1 client: ${f}`),
    ...refLoaded.failures,
    ...refAlone.failures,
  ];
  if (loaded.turns === 0 || alone.turns === 0) failures.push("a run completed no turn in its measure window");
  return { result: { ...result, targetsMet: targetsMet(result) }, failures };
}
