import { createShutdown, loadConfigOrExit } from "@turnq/core";
import { createLogger, shutdownTelemetry, telemetryInfo } from "@turnq/telemetry";
import { loadApiEnv } from "./env.ts";
import { startApi } from "./start-api.ts";

// The API's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
// The OpenTelemetry SDK is already running: started by `node --import @turnq/telemetry/register`.
const env = loadConfigOrExit(() => loadApiEnv());
const logger = createLogger({ name: "turnq-api", level: env.LOG_LEVEL });
logger.info({ telemetry: telemetryInfo() ?? "not started (run with --import @turnq/telemetry/register)" }, "telemetry");
const api = startApi(env, logger);
// The API holds no turn: closing is ending connections and flushing spans. A step stuck on a
// server that does not answer must not keep it from exiting.
const SHUTDOWN_DEADLINE_MS = 10_000;
// Registered before start-up finishes, so a SIGTERM during start-up still closes what was opened.
createShutdown(logger, [
  ["api", async () => (await api).close()],
  // Last, so the spans of the final requests are flushed.
  ["telemetry", () => shutdownTelemetry()],
], { deadlineMs: SHUTDOWN_DEADLINE_MS });
await api;
