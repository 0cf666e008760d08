import { availableParallelism, loadavg } from "node:os";
import { runScenario, type ScenarioResult } from "./scenario.ts";

/**
 * `npm run bench`: closed-loop load through the HTTP API against the simulator at 0 ms and 200 ms
 * LLM latency. Progress goes to stderr; stdout gets exactly one JSON line. Exits 1 when a turn
 * failed or the per-session order was violated.
 */
function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const base = {
  clients: intEnv("BENCH_CLIENTS", 64),
  workers: intEnv("BENCH_WORKERS", 2),
  concurrency: intEnv("BENCH_CONCURRENCY", 100),
  warmupSeconds: intEnv("BENCH_WARMUP_SECONDS", 3, 0),
  measureSeconds: intEnv("BENCH_SECONDS", 15),
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/turnq-prof" to profile the workers under load
  workerNodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean),
};

const results: ScenarioResult[] = [];
let crashed = false;
for (const llmLatencyMs of [0, 200]) {
  // The system under test is CPU-bound on small machines: anything else running skews every figure.
  const load = loadavg()[0]!;
  if (load > availableParallelism() / 2) {
    process.stderr.write(`bench: warning: load average ${load.toFixed(1)} before llm ${llmLatencyMs} ms; other processes are competing for CPU\n`);
  }
  try {
    results.push(await runScenario({ ...base, llmLatencyMs }));
  } catch (err) {
    process.stderr.write(`bench: scenario llm ${llmLatencyMs} ms crashed: ${(err as Error).stack ?? err}\n`);
    crashed = true;
  }
}

const scenarios = results.map(({ failures: _, ...r }) => r);
process.stdout.write(`${JSON.stringify({ scenarios, node: process.version, cpus: availableParallelism() })}\n`);

const failures = results.flatMap((r) => r.failures.map((f) => `llm ${r.llmLatencyMs} ms: ${f}`));
for (const f of failures) process.stderr.write(`bench: FAILED ${f}\n`);
// Set, not forced: the process must also exit on its own, which shows everything was closed.
process.exitCode = crashed || failures.length > 0 ? 1 : 0;
