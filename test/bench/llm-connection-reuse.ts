import { randomBytes } from "node:crypto";
import { intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { LlmTimes } from "./llm-times.ts";

export interface ConnectionsResult {
  poolSize: number;
  workerConcurrency: number;
  llmLatencyMs: number;
  llmCalls: number;
  /** Connections the worker opened warming its pool (in the background, right after it started). */
  warmupConnections: number;
  /** Connections opened during the run, after warm-up. */
  newConnections: number;
  newConnectionsPer1000Calls: number;
  /** Warm-up included: with full reuse this stays at the pool size however long the run. */
  totalConnectionsPer1000Calls: number;
}

/**
 * LLM connection reuse: one worker with a 16-connection pool and more drain jobs than connections,
 * so calls queue for a socket instead of opening new ones, runs ≥ 1,000 turns through the API.
 * The simulator counts every TCP connection it accepts. A client that reuses keep-alive sockets
 * opens ~pool-size connections in all (here: at warm-up) and next to none per 1,000 calls; one
 * that leaks or discards sockets opens one per call (1,000 per 1,000) and pays a handshake each time.
 */
export async function runConnectionsBench(): Promise<PartOutcome<ConnectionsResult>> {
  const poolSize = intEnv("BENCH_CONNECTIONS_POOL", 16);
  const concurrency = intEnv("BENCH_CONNECTIONS_CONCURRENCY", 32);
  const clients = intEnv("BENCH_CONNECTIONS_CLIENTS", 32);
  const turns = intEnv("BENCH_CONNECTIONS_TURNS", 1200);
  const llmLatencyMs = intEnv("BENCH_CONNECTIONS_LLM_MS", 20, 0);
  log(`connections: starting 1 worker, pool ${poolSize}, concurrency ${concurrency}; ${turns} turns from ${clients} clients`);
  const sys = await startBenchSystem({
    llmLatencyMs,
    workers: 1,
    concurrency,
    // Warm the whole pool (by default a worker warms at most 4), so the run shows reuse, not growth.
    workerEnv: { LLM_POOL_CONNECTIONS: String(poolSize), LLM_WARM_CONNECTIONS: String(poolSize) },
  });
  try {
    // Warm-up runs in the background after "started": wait for it, then everything is the run's.
    const warmBy = Date.now() + 30_000;
    while (sys.sim.connectionsAccepted() < poolSize && Date.now() < warmBy) await new Promise((r) => setTimeout(r, 50));
    const warmupConnections = sys.sim.connectionsAccepted();
    const llm = new LlmTimes(sys.sim);
    llm.start();
    const loop = await runClosedLoop({
      baseUrl: sys.api.url,
      clients,
      tag: randomBytes(3).toString("hex"),
      maxTurns: turns,
      onStart: (now) => now + 120_000, // a time limit only so a stuck system cannot hang the bench
    });
    llm.stop();
    const newConnections = sys.sim.connectionsAccepted() - warmupConnections;
    const llmCalls = llm.byInput.size + llm.repeats;
    const failed = loop.errors.length + loop.samples.filter((s) => s.status !== "completed").length;
    const failures: string[] = [];
    if (failed > 0) failures.push(`connections: ${failed} turns or requests failed; ${loop.errors.slice(0, 3).join("; ")}`);
    if (llmCalls < 1000) failures.push(`connections: only ${llmCalls} LLM calls (need ≥ 1,000)`);
    const per1000 = (n: number) => Math.round((n / (llmCalls / 1000)) * 10) / 10;
    log(`connections: ${llmCalls} LLM calls, ${warmupConnections} connections at warm-up, ${newConnections} during the run`);
    return {
      result: {
        poolSize,
        workerConcurrency: concurrency,
        llmLatencyMs,
        llmCalls,
        warmupConnections,
        newConnections,
        newConnectionsPer1000Calls: per1000(newConnections),
        totalConnectionsPer1000Calls: per1000(newConnections + warmupConnections),
      },
      failures,
    };
  } finally {
    await sys.stop();
    log("connections: system stopped");
  }
}
