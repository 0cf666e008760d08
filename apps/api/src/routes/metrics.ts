import { metricsText, PROMETHEUS_CONTENT_TYPE } from "@turnq/telemetry";
import { Hono } from "hono";
import type { AppEnv } from "../deps.ts";

/** `GET /metrics`: Prometheus text format (empty when telemetry is not started or disabled). */
export function metricsRoutes() {
  return new Hono<AppEnv>().get("/metrics", async (c) => c.body(await metricsText(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }));
}
