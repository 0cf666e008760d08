import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { metricsHandler } from "@turnq/telemetry";
import type { Logger } from "pino";

/** The worker's Prometheus scrape endpoint (GET /metrics); several workers on one host need distinct ports. */
export async function startMetricsServer(port: number, host: string, logger: Logger): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") return metricsHandler(req, res);
    res.writeHead(404).end();
  });
  server.listen(port, host);
  await once(server, "listening");
  logger.info({ url: `http://${host}:${(server.address() as AddressInfo).port}/metrics` }, "worker metrics listening");
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
