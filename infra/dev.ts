/**
 * `npm run dev`: the whole system on this machine. Checks Postgres and Redis, applies migrations,
 * starts the LLM simulator when no provider is configured, then the API and WORKERS worker
 * processes, and prints how to send a turn. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { runMigrations } from "@turnq/db";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { Redis } from "ioredis";

const root = fileURLToPath(new URL("../", import.meta.url));
const env: Record<string, string> = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/turnq",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: "3000",
  ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
};
const workerCount = Number(env.WORKERS ?? "2");

async function checkRedis(url: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    fail(`Redis is not reachable at ${url} (${(err as Error).message}).\n` +
      `Start it (redis-server --daemonize yes) or: docker compose -f infra/compose.yaml up -d redis postgres`);
  } finally {
    r.disconnect();
  }
}

function fail(message: string): never {
  console.error(`\n✗ ${message}\n`);
  process.exit(1);
}

const children: ChildProcess[] = [];
function start(name: string, entry: string, extra: Record<string, string> = {}): ChildProcess {
  // The OpenTelemetry SDK starts before the app (--import). Spans are exported only when
  // OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) is set, e.g. http://localhost:4318 for Jaeger.
  const child = spawn(process.execPath, ["--import", "@turnq/telemetry/register", entry], {
    cwd: root,
    env: { ...env, ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tag = `[${name}]`.padEnd(11);
  const relay = (stream: NodeJS.WritableStream) => (d: Buffer) => {
    for (const line of d.toString().split("\n")) if (line) stream.write(`${tag} ${line}\n`);
  };
  child.stdout!.on("data", relay(process.stdout));
  child.stderr!.on("data", relay(process.stderr));
  child.on("exit", (code, signal) => {
    if (!stopping) fail(`${name} exited (${signal ?? code}); see its output above.`);
  });
  children.push(child);
  return child;
}

let stopping = false;
let sim: Simulator | undefined;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => (c.exitCode === null ? (c.kill("SIGTERM"), once(c, "exit")) : null)));
  await sim?.close();
  process.exit(0);
}
process.on("SIGINT", stopAll);
process.on("SIGTERM", stopAll);

await checkRedis(env.REDIS_URL!);
try {
  await runMigrations(env.DATABASE_URL!);
} catch (err) {
  fail(`Could not prepare Postgres at ${env.DATABASE_URL} (${(err as Error).message}).\n` +
    `Start Postgres, or set DATABASE_URL in .env (see .env.example), or: docker compose -f infra/compose.yaml up -d redis postgres`);
}
if (!env.LLM_BASE_URL) {
  sim = await startSimulator({ port: Number(env.SIM_PORT ?? "8787"), latencyMs: Number(env.SIM_LATENCY_MS ?? "300") });
  env.LLM_BASE_URL = sim.url;
  console.log(`LLM simulator on ${sim.url} (set LLM_BASE_URL to use a real provider)`);
}
// Each worker serves /metrics on its own port (METRICS_PORT, default 9464, then 9465, …).
const metricsPort = (i: number) => String(Number(env.METRICS_PORT ?? "9464") + i - 1);
for (let i = 1; i <= workerCount; i++) start(`worker-${i}`, "apps/worker/src/main.ts", { OTEL_SERVICE_NAME: "turnq-worker", METRICS_PORT: metricsPort(i) });
start("api", "apps/api/src/main.ts", { OTEL_SERVICE_NAME: "turnq-api" });

const base = `http://127.0.0.1:${env.PORT}`;
console.log(`
turnq is starting: API ${base}, ${workerCount} workers. Send a turn:

  SESSION=$(curl -s -X POST ${base}/v1/sessions -H 'content-type: application/json' -d '{}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')
  TURN=$(curl -s -X POST ${base}/v1/sessions/$SESSION/turns -H 'content-type: application/json' -d '{"input":"Hello!"}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')
  curl -s ${base}/v1/turns/$TURN -H 'Prefer: wait=10'
  curl -s ${base}/v1/sessions/$SESSION/messages

Metrics: ${base}/metrics, workers ${Array.from({ length: workerCount }, (_, i) => `http://127.0.0.1:${metricsPort(i + 1)}/metrics`).join(", ")}. Traces: ${env.OTEL_EXPORTER_OTLP_ENDPOINT ? `exported to ${env.OTEL_EXPORTER_OTLP_ENDPOINT}` : "recorded, not exported (set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 and run Jaeger; see README, Tracing)"}.
Ctrl-C stops everything.
`);
