import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { baseScenario, log, selectedParts, type BenchContext, type Part, type PartOutcome } from "./bench-env.ts";
import { runBurstBench } from "./burst.ts";
import { runContextBench } from "./context-build.ts";
import { runFairnessBench } from "./fairness.ts";
import { runHotpathBench } from "./hotpath.ts";
import { runConnectionsBench } from "./llm-connection-reuse.ts";
import { runOverheadBench } from "./overhead.ts";
import { runToolsBench } from "./parallel-tools.ts";
import { runRecoveryBench } from "./recovery.ts";
import { runReferenceBench } from "./reference.ts";
import { buildServerBundles } from "../support/server-bundles.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { runScalingBench } from "./scaling.ts";
import { runSlotsBench } from "./slots.ts";
import { runStreamingBench } from "./streaming.ts";
import { runTtfdBench } from "./time-to-first-delta.ts";
import { runTracingBench } from "./tracing-overhead.ts";

/**
 * `npm run bench`: issue #8's parts first (reference, the plain-BullMQ yardstick, then hotpath,
 * burst, overhead, slots, whose throughput ratios divide by it), then closed-loop load through the
 * HTTP API at 0 ms and 200 ms LLM latency and the focused parts (tools, ttfd, streaming, context, connections,
 * tracing; BENCH_ONLY picks some). Progress goes to stderr; stdout gets exactly one JSON line, one
 * key per part. Exits 1 when a part crashed, a turn failed or the per-session order was violated;
 * a target of issue #8 not met is reported in the JSON, not by the exit code.
 */

/** The original two scenarios; their failures (turns, order) decide the exit code like any part's. */
async function runScenarios(): Promise<PartOutcome<Omit<ScenarioResult, "failures">[]>> {
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  for (const llmLatencyMs of [0, 200]) {
    warnIfBusy(`llm ${llmLatencyMs} ms`);
    try {
      results.push(await runScenario({ ...baseScenario(), llmLatencyMs }));
    } catch (err) {
      failures.push(`scenario llm ${llmLatencyMs} ms crashed: ${(err as Error).stack ?? err}`);
    }
  }
  failures.push(...results.flatMap((r) => r.failures.map((f) => `llm ${r.llmLatencyMs} ms: ${f}`)));
  return { result: results.map(({ failures: _, ...r }) => r), failures };
}

/** Ratios need the reference's figures: parts after it in the same run read them from `ctx`. */
const ctx: BenchContext = {};
async function runReference(): Promise<PartOutcome<unknown>> {
  const { figures, ...outcome } = await runReferenceBench();
  ctx.reference = figures;
  return outcome;
}

const runners: Record<Part, (ctx: BenchContext) => Promise<PartOutcome<unknown>>> = {
  reference: runReference,
  hotpath: runHotpathBench,
  burst: runBurstBench,
  overhead: runOverheadBench,
  slots: runSlotsBench,
  scenarios: runScenarios,
  tools: runToolsBench,
  ttfd: runTtfdBench,
  streaming: runStreamingBench,
  context: runContextBench,
  connections: runConnectionsBench,
  tracing: runTracingBench,
  recovery: runRecoveryBench,
  scaling: runScalingBench,
  fairness: runFairnessBench,
};

// The system under test is CPU-bound on small machines: anything else running skews every figure.
function warnIfBusy(what: string): void {
  const load = loadavg()[0]!;
  if (load > availableParallelism() / 2) {
    log(`warning: load average ${load.toFixed(1)} before ${what}; other processes are competing for CPU`);
  }
}

log("building the server bundles (npm run build)");
buildServerBundles();

const out: Record<string, unknown> = {};
const failures: string[] = [];
const seconds: Record<string, number> = {};
for (const part of selectedParts()) {
  if (part !== "scenarios") warnIfBusy(part);
  const started = performance.now();
  try {
    const { result, failures: f } = await runners[part](ctx);
    out[part] = result;
    failures.push(...f.map((x) => (x.startsWith(`${part}:`) ? x : `${part}: ${x}`)));
  } catch (err) {
    out[part] = null;
    failures.push(`${part} crashed: ${(err as Error).stack ?? err}`);
  }
  seconds[part] = Math.round((performance.now() - started) / 100) / 10;
  log(`${part} done in ${seconds[part]} s`);
}

process.stdout.write(`${JSON.stringify({ ...out, node: process.version, cpus: availableParallelism(), seconds })}\n`);
for (const f of failures) log(`FAILED ${f}`);
// Set, not forced: the process must also exit on its own, which shows everything was closed.
process.exitCode = failures.length > 0 ? 1 : 0;
