/**
 * `npm run dev`: the whole system on this machine. Checks Postgres and Redis, applies migrations,
 * starts the LLM simulator when no provider is configured, then the API and WORKERS worker
 * processes, and prints how to send a turn. Ctrl-C stops everything.
 *
 * Every exit path stops every child it started: a child that cannot start (the others are stopped
 * and the runner says why, naming a taken port and the variable that moves it), a child that dies
 * later, SIGINT, SIGTERM, SIGHUP, an error in the runner itself, the process that started it going
 * away (npm killed alone); and if the runner is killed outright, its children notice their stdin
 * closing and stop themselves (dev/exit-with-parent.mjs).
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildConsole } from "@turnq/console/bundle";
import { runMigrations } from "@turnq/db";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { devEncryptionKey } from "./dev/dev-encryption-key.ts";
import { ensureDevKey } from "./dev/dev-key.ts";
import { isPortTaken, portTakenMessage } from "./dev/port-taken.ts";
import { checkRedis } from "./dev/redis-check.ts";
import { createSupervisor, DevFailure } from "./dev/supervisor.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const env: Record<string, string> = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/turnq",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: "3000",
  ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
};
const workerCount = Number(env.WORKERS ?? "2");
// The children's own shutdown grace (workers finish or hand back their turns), plus room to exit.
const stopGraceMs = Number(env.SHUTDOWN_GRACE_MS ?? "15000") + 5_000;

const supervisor = createSupervisor({
  root,
  startTimeoutMs: 120_000,
  stopGraceMs,
  onUnexpectedExit: (failure) => void exit(1, failure.message),
  write: (line, stream) => process[stream].write(`${line}\n`),
});
let sim: Simulator | undefined;
let exiting: Promise<never> | undefined;

/** The one way out: stops every child (and the simulator), then says why, then exits. */
function exit(code: number, message?: string): Promise<never> {
  return (exiting ??= (async () => {
    try {
      await supervisor.stopAll();
      await sim?.close();
    } finally {
      if (message) console.error(`\n✗ ${message}\n`);
      process.exit(code);
    }
  })());
}

// A Ctrl-C reaches this runner twice within milliseconds: from the terminal, and forwarded by npm
// (`npm run dev` execs it). Only a signal a moment after the first is a second request.
const REPEAT_AFTER_MS = 1_000;
let firstSignalAt = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (exiting && Date.now() - firstSignalAt < REPEAT_AFTER_MS) return;
    if (exiting) {
      console.error("dev: killing every child now");
      return supervisor.killAll();
    }
    firstSignalAt = Date.now();
    console.log(`\ndev: stopping (up to ${stopGraceMs / 1000} s; ${signal} again kills at once)`);
    void exit(0);
  });
}
// npm hands a SIGTERM or SIGINT on to this runner, but a SIGKILL of npm (or of whatever started the
// runner) hands nothing on and would leave the whole system running with nobody to stop it: an
// orphaned runner stops as on SIGTERM.
const parentPid = process.ppid;
setInterval(() => {
  if (exiting || process.ppid === parentPid) return;
  console.log(`\ndev: the process that started me (pid ${parentPid}) is gone; stopping`);
  void exit(0);
}, 500).unref();
const crashed = (err: unknown) => void exit(1, `The dev runner failed: ${err instanceof Error ? err.stack : String(err)}`);
process.on("uncaughtException", crashed);
process.on("unhandledRejection", crashed);

async function prepareDatabase(url: string): Promise<void> {
  try {
    await runMigrations(url);
  } catch (err) {
    throw new DevFailure(`Could not prepare Postgres at ${url} (${(err as Error).message}).\n` +
      `Start Postgres, or set DATABASE_URL in .env (see .env.example), or: docker compose -f infra/compose.yaml up -d redis postgres`);
  }
}

async function startLocalSimulator(): Promise<Simulator> {
  const port = Number(env.SIM_PORT ?? "8787");
  try {
    return await startSimulator({ port, latencyMs: Number(env.SIM_LATENCY_MS ?? "300") });
  } catch (err) {
    if (isPortTaken(err)) {
      throw new DevFailure(portTakenMessage({ port, what: "the LLM simulator", variable: "SIM_PORT" }) +
        "\n(Or use a real provider: set LLM_BASE_URL, see README.)");
    }
    throw err;
  }
}

// The dev tenant's API key: created on first start, reused after (README: Tenants and keys).
const devKeyFile = env.TURNQ_DEV_KEY_FILE ?? ".turnq/dev-key";
let devKey = "";
/** The web console the API serves at /console: a build of under a second, so dev always shows the current sources. */
async function buildWebConsole(): Promise<void> {
  try {
    await buildConsole({ srcDir: `${root}apps/console/src`, outDir: `${root}apps/console/dist` });
  } catch (err) {
    // The API and workers are still worth starting; /console answers 503 saying to build it.
    console.error(`dev: the web console did not build (${(err as Error).message}); /console will say so`);
  }
}

async function main(): Promise<void> {
  const redis = await checkRedis(env.REDIS_URL!);
  if (redis.kind === "cluster") {
    // API and workers get REDIS_URL and QUEUE_SHARDS as they are; a shard is the unit of placement.
    const shards = Number(env.QUEUE_SHARDS ?? "1");
    console.log(`Redis Cluster: ${redis.masters} masters, QUEUE_SHARDS=${env.QUEUE_SHARDS ?? "1"}` +
      (shards < redis.masters ? ` (every queue on ${shards === 1 ? "one master" : `${shards} masters`}; set QUEUE_SHARDS=${redis.masters} or more to use them all)` : ""));
  }
  await buildWebConsole();
  await prepareDatabase(env.DATABASE_URL!);
  const keyPath = devKeyFile.startsWith("/") ? devKeyFile : `${root}${devKeyFile}`;
  const { key, created } = await ensureDevKey(env.DATABASE_URL!, keyPath);
  // Agents' HTTP tool headers are sealed with it by the API and opened by the workers.
  env.TURNQ_ENCRYPTION_KEY ??= devEncryptionKey(`${dirname(keyPath)}/encryption-key`);
  devKey = key;
  console.log(created ? `Created tenant "dev" and an API key for it, saved in ${devKeyFile}` : `Using the dev API key in ${devKeyFile}`);
  if (!env.LLM_BASE_URL) {
    sim = await startLocalSimulator();
    env.LLM_BASE_URL = sim.url;
    console.log(`LLM simulator on ${sim.url} (set LLM_BASE_URL to use a real provider)`);
  }
  // The API first: if its port is taken, no worker has started to take turns from the queue.
  await supervisor.start({
    name: "api",
    entry: "apps/api/src/main.ts",
    env: { ...env, OTEL_SERVICE_NAME: "turnq-api" },
    readyWhen: [/turnq api listening/],
    ports: [{ port: Number(env.PORT), what: "the API", variable: "PORT" }],
  });
  // Each worker serves /metrics, /healthz and /readyz on a port of its own: METRICS_PORT (default
  // 9464), then 9465, … (METRICS_PORT=0 picks free ones).
  const metricsBase = Number(env.METRICS_PORT ?? "9464");
  await Promise.all(
    Array.from({ length: workerCount }, (_, k) => {
      const name = `worker-${k + 1}`;
      const metricsPort = metricsBase === 0 ? 0 : metricsBase + k;
      return supervisor.start({
        name,
        entry: "apps/worker/src/main.ts",
        env: { ...env, OTEL_SERVICE_NAME: "turnq-worker", METRICS_PORT: String(metricsPort) },
        readyWhen: [/turnq worker started/, /worker metrics listening/],
        ports: metricsPort
          ? [{ port: metricsPort, what: `${name}'s metrics endpoint`, variable: "METRICS_PORT", note: "worker i listens on METRICS_PORT + i - 1" }]
          : [],
      });
    }),
  );
}

main().then(
  () => {
    const base = `http://127.0.0.1:${env.PORT}`;
    console.log(`
turnq is running: API ${base}, ${workerCount} workers. Send a turn (every /v1 request needs the key):

  KEY=${devKey}
  SESSION=$(curl -s -X POST ${base}/v1/sessions -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')
  TURN=$(curl -s -X POST ${base}/v1/sessions/$SESSION/turns -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"input":"Hello!"}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')
  curl -s ${base}/v1/turns/$TURN -H "authorization: Bearer $KEY" -H 'Prefer: wait=10'
  curl -s ${base}/v1/sessions/$SESSION/messages -H "authorization: Bearer $KEY"

Console: ${base}/console (paste an API key; it stays in the browser tab).
Metrics: ${base}/metrics. Traces: ${env.OTEL_EXPORTER_OTLP_ENDPOINT ? `exported to ${env.OTEL_EXPORTER_OTLP_ENDPOINT}` : "recorded, not exported (set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 and run Jaeger; see README, Tracing)"}.
Ctrl-C stops everything.
`);
  },
  (err: unknown) => void (err instanceof DevFailure ? exit(1, err.message) : crashed(err)),
);
