import type { IncomingMessage, ServerResponse } from "node:http";

import { diag } from "@opentelemetry/api";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";

import { activePrometheusReader } from "./sdk.ts";

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

// Same settings as the exporter's own serializer (no prefix, no timestamps); we render ourselves so
// callers get a string they can serve from any HTTP framework.
const serializer = new PrometheusSerializer();

/**
 * Current metrics in Prometheus text format, for the app's own `GET /metrics` route. Collecting also
 * runs the observable-gauge callbacks (queue depth, waiting sessions). Returns an empty document
 * when telemetry is disabled, so the route still answers 200.
 */
export async function metricsText(): Promise<string> {
  const reader = activePrometheusReader();
  if (!reader) return "";
  const { resourceMetrics, errors } = await reader.collect();
  // A failing gauge callback should not blank the whole page; report it and serve the rest.
  if (errors.length > 0) diag.warn("turnq metrics collection errors", ...errors);
  return serializer.serialize(resourceMetrics);
}

/** A ready-made node:http handler around `metricsText()`. */
export function metricsHandler(_req: IncomingMessage, res: ServerResponse): void {
  metricsText().then(
    (text) => {
      res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
      res.end(text);
    },
    (err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`# metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
    },
  );
}
