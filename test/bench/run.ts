import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { baseScenario, log, selectedParts, type Part, type PartOutcome } from "./bench-env.ts";
import { runContextBench } from "./context-build.ts";
import { runConnectionsBench } from "./llm-connection-reuse.ts";
import { runToolsBench } from "./parallel-tools.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { runTtfdBench } from "./time-to-first-delta.ts";
import { runTracingBench } from "./tracing-overhead.ts";

/**
 * `npm run bench`: closed-loop load through the HTTP API against the simulator at 0 ms and 200 ms
 * LLM latency, then the focused parts (tools, ttfd, context, connections, tracing; BENCH_ONLY picks
 * some). Progress goes to stderr; stdout gets exactly one JSON line, one key per part. Exits 1 when
 * a part crashed, a turn failed or the per-session order was violated.
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

const runners: Record<Part, () => Promise<PartOutcome<unknown>>> = {
  scenarios: runScenarios,
  tools: runToolsBench,
  ttfd: runTtfdBench,
  context: runContextBench,
  connections: runConnectionsBench,
  tracing: runTracingBench,
};

// The system under test is CPU-bound on small machines: anything else running skews every figure.
function warnIfBusy(what: string): void {
  const load = loadavg()[0]!;
  if (load > availableParallelism() / 2) {
    log(`warning: load average ${load.toFixed(1)} before ${what}; other processes are competing for CPU`);
  }
}

const out: Record<string, unknown> = {};
const failures: string[] = [];
const seconds: Record<string, number> = {};
for (const part of selectedParts()) {
  if (part !== "scenarios") warnIfBusy(part);
  const started = performance.now();
  try {
    const { result, failures: f } = await runners[part]();
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
