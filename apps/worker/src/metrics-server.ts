import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { metricsHandler } from "@turnq/telemetry";
import type { Logger } from "pino";

export interface MetricsServerOptions {
  port: number;
  host: string;
  logger: Logger;
  /** True once the worker takes sessions, false again when it starts shutting down. */
  ready: () => boolean;
}

/**
 * The worker's operations endpoint (several workers on one host need distinct ports):
 * `GET /metrics` for Prometheus, `GET /healthz` (the process answers) and `GET /readyz` (the worker
 * is connected and taking sessions; 503 while starting or shutting down), the same paths the API
 * serves, so probes and health checks look alike for both.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (req.method !== "GET") return void res.writeHead(405).end();
    if (path === "/metrics") return metricsHandler(req, res);
    if (path === "/healthz") return json(res, 200, { status: "ok" });
    if (path === "/readyz") return opts.ready() ? json(res, 200, { status: "ready" }) : json(res, 503, { status: "not_ready" });
    res.writeHead(404).end();
  });
  server.listen(opts.port, opts.host);
  await once(server, "listening");
  const base = `http://${opts.host}:${(server.address() as AddressInfo).port}`;
  opts.logger.info({ url: `${base}/metrics`, health: `${base}/healthz`, ready: `${base}/readyz` }, "worker metrics listening");
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
