import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createShutdown } from "@turnq/core";
import { createLogger, metricsHandler, shutdownTelemetry, telemetryInfo } from "@turnq/telemetry";
import { loadWorkerEnv } from "./env.ts";
import { startWorker } from "./start-worker.ts";

// The worker's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
// The OpenTelemetry SDK is already running: started by `node --import @turnq/telemetry/register`.
const env = loadWorkerEnv();
const logger = createLogger({ name: "turnq-worker", level: env.LOG_LEVEL });
logger.info({ telemetry: telemetryInfo() ?? "not started (run with --import @turnq/telemetry/register)" }, "telemetry");
const worker = await startWorker(env, logger);

// Prometheus scrape endpoint, only when METRICS_PORT is set (several workers on one host need distinct ports).
const metricsServer =
  env.METRICS_PORT === undefined
    ? undefined
    : createServer((req, res) => {
        if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") return metricsHandler(req, res);
        res.writeHead(404).end();
      });
if (metricsServer) {
  metricsServer.listen(env.METRICS_PORT, env.METRICS_HOST);
  await once(metricsServer, "listening");
  const { port } = metricsServer.address() as AddressInfo;
  logger.info({ url: `http://${env.METRICS_HOST}:${port}/metrics` }, "worker metrics listening");
}

createShutdown(logger, [
  ["worker", () => worker.close()],
  ["metrics", () => new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()))],
  // Last, so the spans of the final turns are flushed.
  ["telemetry", () => shutdownTelemetry()],
]);
