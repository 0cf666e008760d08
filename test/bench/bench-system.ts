import { randomBytes } from "node:crypto";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { startSimulator, type Simulator, type SimulatorOptions } from "@turnq/llm-simulator";
import pino from "pino";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { redisUrl } from "../support/services.ts";
import { createBenchDatabase, type BenchDatabase } from "./bench-database.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { useApiKey } from "../support/http.ts";
import { createTenantWithKey } from "../support/tenants.ts";
import { useBenchApiKey } from "./api-client.ts";
import { SERVER_BUNDLES, serverEnv, serverNodeArgs } from "../support/server-bundles.ts";

export interface BenchSystemOptions {
  llmLatencyMs: number;
  workers: number;
  /** Drain jobs per worker process (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Extra node flags for the worker processes, e.g. ["--cpu-prof"] to see where their time goes. */
  workerNodeArgs?: string[];
  /** Further simulator options (firstTokenMs, recordLimit…); latencyMs comes from llmLatencyMs. */
  sim?: Omit<SimulatorOptions, "latencyMs">;
  /** Added to every worker's environment (e.g. LLM_POOL_CONNECTIONS, HTTP_TOOLS_ALLOW_PRIVATE). */
  workerEnv?: Record<string, string>;
  /**
   * Run the API as a child process started like `npm run start:api` (its production bundle, which
   * starts the OpenTelemetry SDK first), workers likewise, and add `env` to both. Tracing needs the
   * SDK in the API's own process, which the in-process API (sharing the bench's process) cannot have.
   */
  childApi?: { env: Record<string, string>; nodeArgs?: string[] };
  /** Another Redis than the machine's (e.g. a redis-server of the part's own, to read its INFO). */
  redisUrl?: string;
}

export interface BenchSystem {
  api: RunningApi;
  db: BenchDatabase;
  sim: Simulator;
  workers: AppProcess[];
  /** The API's own process when `childApi` was given (for its CPU time and RSS); else undefined. */
  apiProcess: AppProcess | undefined;
  /** Headers with the bench tenant's API key (api-client.ts and test/support/http.ts send it by themselves). */
  auth: Record<string, string>;
  /** The system's Redis and key prefix (to look at its queue). */
  redisUrl: string;
  prefix: string;
  /** Starts one more worker like the others (e.g. to replace a killed one); `stop` stops it too. */
  startWorker(name: string): Promise<AppProcess>;
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
  const redis = opts.redisUrl ?? redisUrl();
  const db = await createBenchDatabase();
  const sim = await startSimulator({ ...opts.sim, latencyMs: opts.llmLatencyMs });
  const workers: AppProcess[] = [];
  const children: AppProcess[] = [];
  let api: RunningApi | undefined;
  let startWorker = async (name: string): Promise<AppProcess> => {
    throw new Error(`${name}: the system is not started yet`);
  };
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
    const common = { DATABASE_URL: db.url, REDIS_URL: redis, TURNQ_PREFIX: prefix };
    const workerEnv = {
      ...common,
      LLM_BASE_URL: sim.url,
      WORKER_CONCURRENCY: String(opts.concurrency),
      SHUTDOWN_GRACE_MS: "5000",
      ...opts.childApi?.env,
      ...opts.workerEnv,
    };
    if (opts.childApi) {
      const env = { ...serverEnv("api"), ...common, PORT: "0", ...opts.childApi.env };
      const child = startProcess("api", SERVER_BUNDLES.api, env, [...serverNodeArgs("api"), ...(opts.childApi.nodeArgs ?? [])]);
      children.push(child);
      api = await childApiHandle(child);
    } else {
      api = await startApi(apiEnvSchema.parse({ ...common, PORT: "0" }), pino({ level: "warn" }));
    }
    const [workerEntry, workerArgs] = opts.childApi
      ? [SERVER_BUNDLES.worker, [...serverNodeArgs("worker"), ...(opts.workerNodeArgs ?? [])]]
      : ["apps/worker/src/main.ts", opts.workerNodeArgs ?? []];
    const childEnv = opts.childApi ? { ...serverEnv("worker"), ...workerEnv } : workerEnv;
    startWorker = async (name) => {
      const w = startProcess(name, workerEntry, childEnv, workerArgs);
      workers.push(w);
      await w.waitForLine(/turnq worker started/, 60_000);
      return w;
    };
    await Promise.all(Array.from({ length: opts.workers }, (_, i) => startWorker(`worker-${i + 1}`)));
    const tenant = await createTenantWithKey(db.db, "bench");
    useBenchApiKey(tenant.key);
    useApiKey(api.url, tenant.key);
    return { api, db, sim, workers, apiProcess: children[0], stop, startWorker, redisUrl: redis, prefix, auth: tenant.headers };
  } catch (err) {
    await stop().catch(() => {});
    await Promise.all(children.map((c) => c.stop("SIGKILL")));
    throw err;
  }
}

/** The child API as a RunningApi: its URL from its "listening" log line, close = SIGTERM and wait. */
async function childApiHandle(child: AppProcess): Promise<RunningApi> {
  const line = await child.waitForLine(/turnq api listening/);
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    url,
    async close() {
      const code = await child.stop("SIGTERM");
      if (code !== 0) process.stderr.write(`bench: api exited with ${code}\n${child.output().slice(-2000)}\n`);
    },
  };
}
