import { randomBytes } from "node:crypto";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { startSimulator, type Simulator, type SimulatorOptions } from "@turnq/llm-simulator";
import pino from "pino";
import { useApiKey } from "./http.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "./processes.ts";
import { deleteKeys } from "./redis-keys.ts";
import { redisUrl } from "./services.ts";
import { Teardown } from "./teardown.ts";
import { createTenantWithKey } from "./tenants.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

export interface SystemOptions {
  workers?: number;
  concurrency?: number;
  simulator?: SimulatorOptions;
  workerEnv?: Record<string, string>;
  /** Extra API configuration (apiEnvSchema), e.g. HTTP_REQUEST_TIMEOUT_MS. */
  apiEnv?: Record<string, string>;
  redisUrl?: string;
}

export type TenantWithKey = Awaited<ReturnType<typeof createTenantWithKey>>;

export interface TestSystem {
  api: RunningApi;
  db: TestDatabase;
  sim: Simulator;
  prefix: string;
  redisUrl: string;
  workers: AppProcess[];
  workerEnv: Record<string, string>;
  /** The system's own tenant; its key is sent by test/support/http.ts and sse.ts unless a request sets another. */
  tenant: TenantWithKey;
  /** Another tenant with a key of its own (send `headers` with each request to act as it). */
  newTenant(name?: string): Promise<TenantWithKey>;
  startWorker(name?: string): Promise<AppProcess>;
  stop(): Promise<void>;
}

/**
 * The whole system on loopback: a fresh database, a unique Redis prefix, the LLM simulator, the API
 * (in this process, through the same startApi as main.ts) and N worker processes (real children,
 * so tests can SIGKILL them).
 */
export async function startSystem(opts: SystemOptions = {}): Promise<TestSystem> {
  const prefix = `t${randomBytes(4).toString("hex")}`;
  // The key that seals agents' HTTP tool headers: the API seals with it, the workers open with it.
  const encryptionKey = `k1:${randomBytes(32).toString("base64")}`;
  const redis = opts.redisUrl ?? redisUrl();
  // Whatever start-up got to is undone if a later step fails (a worker not ready in time, …):
  // a failed beforeAll leaves no process, database or key behind.
  const teardown = new Teardown();
  // A test's own Redis may already be gone; nothing to clean then.
  teardown.add("redis keys", () => deleteKeys(redis, prefix).catch(() => 0));
  const workers: AppProcess[] = [];
  try {
    const db = await createTestDatabase();
    teardown.add("database", () => db.drop());
    const sim = await startSimulator(opts.simulator ?? {});
    teardown.add("simulator", () => sim.close());
    const workerEnv: Record<string, string> = {
      DATABASE_URL: db.url,
      REDIS_URL: redis,
      TURNQ_PREFIX: prefix,
      LLM_BASE_URL: sim.url,
      WORKER_CONCURRENCY: String(opts.concurrency ?? 50),
      RECONCILE_INTERVAL_MS: "1000",
      RECONCILE_MIN_AGE_MS: "1000",
      LOCK_DURATION_MS: "4000",
      STALLED_INTERVAL_MS: "2000",
      SHUTDOWN_GRACE_MS: "3000",
      // Test files run side by side against one Postgres; keep each system's share of connections small.
      DB_POOL_MAX: "8",
      TURNQ_ENCRYPTION_KEY: encryptionKey,
      ...opts.workerEnv,
    };
    const api = await startApi(
      apiEnvSchema.parse({ DATABASE_URL: db.url, REDIS_URL: redis, TURNQ_PREFIX: prefix, PORT: "0", DB_POOL_MAX: "8", TURNQ_ENCRYPTION_KEY: encryptionKey, ...opts.apiEnv }),
      pino({ level: "warn" }),
    );
    teardown.add("api", () => api.close());
    const tenant = await createTenantWithKey(db.db, "test");
    useApiKey(api.url, tenant.key);
    teardown.add("workers", async () => {
      await Promise.all(workers.map((w) => w.stop("SIGKILL")));
      // Debugging aid: TEST_DUMP_DIR=/tmp/x keeps every worker's output of the run.
      if (process.env.TEST_DUMP_DIR) {
        const { mkdirSync, writeFileSync } = await import("node:fs");
        mkdirSync(process.env.TEST_DUMP_DIR, { recursive: true });
        for (const w of workers) writeFileSync(`${process.env.TEST_DUMP_DIR}/${prefix}-${w.name}.log`, w.output());
      }
    });
    const startWorker = async (name = `worker-${workers.length + 1}`) => {
      const w = startProcess(name, "apps/worker/src/main.ts", { OTEL_SERVICE_NAME: "turnq-worker", ...workerEnv }, TELEMETRY_ARGS);
      workers.push(w);
      // Not ready in time: waitForLine kills it, and the caller's teardown (or ours) stops the rest.
      await w.waitForLine(/turnq worker started/);
      return w;
    };
    await Promise.all(Array.from({ length: opts.workers ?? 1 }, () => startWorker()));
    return {
      api,
      db,
      sim,
      prefix,
      redisUrl: redis,
      workers,
      workerEnv,
      tenant,
      newTenant: (name) => createTenantWithKey(db.db, name),
      startWorker,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run().catch(() => {});
    throw err;
  }
}
