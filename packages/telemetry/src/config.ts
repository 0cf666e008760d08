import { envFlag, envList, envPositiveInt, type TelemetryEnv } from "./env.ts";
import { turnqVersion } from "./version.ts";

/** What `startTelemetry` decides from the environment, before any SDK object exists. */
export type TelemetryConfig = {
  disabled: boolean;
  serviceName: string;
  serviceVersion: string;
  /**
   * Export spans at all. False when neither an OTLP endpoint nor OTEL_TRACES_EXPORTER is set: the
   * SDK's default (OTLP to localhost:4318) would log a failed export every few seconds on a machine
   * without a collector, so spans are then non-recording instead: trace and span ids still exist
   * and propagate, nothing else is kept (metrics and logs still work).
   */
  exportTraces: boolean;
  /** Push metrics over OTLP as well as serving them for Prometheus scrapes. */
  otlpMetrics: boolean;
  metricExportIntervalMs: number;
};

const DEFAULT_SERVICE_NAME = "turnq";

export function readTelemetryConfig(env: TelemetryEnv, overrides: { serviceName?: string; serviceVersion?: string } = {}): TelemetryConfig {
  return {
    disabled: envFlag(env, "OTEL_SDK_DISABLED"),
    serviceName: overrides.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME),
    serviceVersion: overrides.serviceVersion ?? turnqVersion(env),
    exportTraces: wantsTraceExport(env),
    otlpMetrics: wantsOtlpMetrics(env),
    metricExportIntervalMs: envPositiveInt(env, "OTEL_METRIC_EXPORT_INTERVAL", 60_000),
  };
}

/**
 * Metrics are pushed only when someone asked for it: an explicit `OTEL_METRICS_EXPORTER=otlp`, or an
 * OTLP endpoint being configured at all. Unlike traces we do not push to the default localhost:4318,
 * because a dev machine without a collector would log an export failure every interval, and
 * Prometheus scraping `/metrics` already covers the common case.
 */
function wantsOtlpMetrics(env: TelemetryEnv): boolean {
  const exporters = envList(env, "OTEL_METRICS_EXPORTER");
  if (exporters.includes("none")) return false;
  if (exporters.includes("otlp")) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim());
}

/**
 * Spans are exported when someone said where to: an OTLP endpoint (general or traces-specific), or
 * an explicit OTEL_TRACES_EXPORTER (e.g. "console", or "otlp" to accept the localhost default).
 * OTEL_TRACES_EXPORTER=none is handled by the SDK itself (no tracer provider).
 */
function wantsTraceExport(env: TelemetryEnv): boolean {
  if (envList(env, "OTEL_TRACES_EXPORTER").length > 0) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
