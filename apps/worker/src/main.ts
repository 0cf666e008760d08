import { createShutdown, loadConfigOrExit } from "@turnq/core";
import { createLogger, shutdownTelemetry, telemetryInfo } from "@turnq/telemetry";
import { loadWorkerEnv } from "./env.ts";
import { startMetricsServer } from "./metrics-server.ts";
import { startWorker } from "./start-worker.ts";

// The worker's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
// The OpenTelemetry SDK is already running: started by `node --import @turnq/telemetry/register`.
const env = loadConfigOrExit(() => loadWorkerEnv());
const SHUTDOWN_CLOSE_MS = 5_000;
const logger = createLogger({ name: "turnq-worker", level: env.LOG_LEVEL });
logger.info({ telemetry: telemetryInfo() ?? "not started (run with --import @turnq/telemetry/register)" }, "telemetry");

let ready = false;
const worker = startWorker(env, logger).then((running) => {
  ready = true;
  return running;
});
const metrics =
  env.METRICS_PORT === undefined
    ? undefined
    : startMetricsServer({ port: env.METRICS_PORT, host: env.METRICS_HOST, logger, ready: () => ready });
// Registered before start-up finishes, so a SIGTERM during start-up still closes what was opened.
// Turns get SHUTDOWN_GRACE_MS; closing connections and flushing spans after that gets a few more seconds.
createShutdown(logger, [
  ["readiness", async () => void (ready = false)],
  ["worker", async () => (await worker).close()],
  ["metrics", async () => (await metrics)?.close()],
  // Last, so the spans of the final turns are flushed.
  ["telemetry", () => shutdownTelemetry()],
], { deadlineMs: env.SHUTDOWN_GRACE_MS + SHUTDOWN_CLOSE_MS });
await worker;
await metrics;

