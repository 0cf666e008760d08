import { randomBytes } from "node:crypto";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import pino from "pino";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { redisUrl } from "../support/services.ts";
import { createBenchDatabase, type BenchDatabase } from "./bench-database.ts";
import { deleteKeys } from "./redis-keys.ts";

export interface BenchSystemOptions {
  llmLatencyMs: number;
  workers: number;
  /** Drain jobs per worker process (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Extra node flags for the worker processes, e.g. ["--cpu-prof"] to see where their time goes. */
  workerNodeArgs?: string[];
}

export interface BenchSystem {
  api: RunningApi;
  db: BenchDatabase;
  sim: Simulator;
  workers: AppProcess[];
  /** SIGTERM and wait for the workers, then close API, simulator, database and Redis keys. */
  stop(): Promise<void>;
}

/**
 * One scenario's whole system: fresh database, unique Redis prefix, simulator and API in this
 * process (as the e2e tests run them), workers as real child processes so their RSS is their own.
 * Worker settings are the production defaults except the ones the scenario is about.
 */
export async function startBenchSystem(opts: BenchSystemOptions): Promise<BenchSystem> {
  const prefix = `bench${randomBytes(4).toString("hex")}`;
  const redis = redisUrl();
  const db = await createBenchDatabase();
  const sim = await startSimulator({ latencyMs: opts.llmLatencyMs });
  const workers: AppProcess[] = [];
  let api: RunningApi | undefined;
  const stop = async () => {
    // Workers first: a graceful stop hands nothing back because the load has drained by now.
    const codes = await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    codes.forEach((code, i) => {
      if (code !== 0) process.stderr.write(`bench: ${workers[i]!.name} exited with ${code}\n${workers[i]!.output().slice(-2000)}\n`);
    });
    await api?.close();
    await sim.close();
    await db.drop();
    await deleteKeys(redis, prefix);
  };
  try {
    const workerEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: redis,
      TURNQ_PREFIX: prefix,
      LLM_BASE_URL: sim.url,
      WORKER_CONCURRENCY: String(opts.concurrency),
      SHUTDOWN_GRACE_MS: "5000",
    };
    api = await startApi(
      apiEnvSchema.parse({ DATABASE_URL: db.url, REDIS_URL: redis, TURNQ_PREFIX: prefix, PORT: "0" }),
      pino({ level: "warn" }),
    );
    for (let i = 1; i <= opts.workers; i++) workers.push(startProcess(`worker-${i}`, "apps/worker/src/main.ts", workerEnv, opts.workerNodeArgs));
    await Promise.all(workers.map((w) => w.waitForLine(/turnq worker started/)));
    return { api, db, sim, workers, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
