import { createShutdown } from "@turnq/core";
import { createLogger, shutdownTelemetry, telemetryInfo } from "@turnq/telemetry";
import { loadApiEnv } from "./env.ts";
import { startApi } from "./start-api.ts";

// The API's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
// The OpenTelemetry SDK is already running: started by `node --import @turnq/telemetry/register`.
const env = loadApiEnv();
const logger = createLogger({ name: "turnq-api", level: env.LOG_LEVEL });
const telemetry = telemetryInfo();
logger.info({ telemetry: telemetry ?? "not started (run with --import @turnq/telemetry/register)" }, "telemetry");
const api = await startApi(env, logger);
createShutdown(logger, [
  ["api", () => api.close()],
  // Last, so the spans of the final requests are flushed.
  ["telemetry", () => shutdownTelemetry()],
]);
