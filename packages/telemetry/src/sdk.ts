import { randomUUID } from "node:crypto";

import { context, diag, metrics, propagation, trace } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { defaultResource, envDetector, hostDetector, osDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

import { readTelemetryConfig } from "./config.ts";
import { conversationAttributes } from "./conversation.ts";
import type { TelemetryEnv } from "./env.ts";
import { NonRecordingTracerProvider } from "./non-recording-tracer.ts";
import { httpTracedByCaller, setSpansRecorded } from "./tracing.ts";

export type StartTelemetryOptions = {
  /** Where configuration is read from; the register entry passes `process.env`. */
  env?: TelemetryEnv;
  serviceName?: string;
  serviceVersion?: string;
  /**
   * Replaces the trace pipeline the SDK would build from `OTEL_TRACES_EXPORTER` & co.
   * Pass `[]` for "no tracing" (e.g. an in-process metrics test).
   */
  spanProcessors?: SpanProcessor[];
};

export type TelemetryInfo = {
  enabled: boolean;
  /** Spans are exported (an OTLP endpoint or OTEL_TRACES_EXPORTER is configured, or a test passed processors). */
  tracesExported: boolean;
  serviceName: string;
  serviceVersion: string;
  /** Random per process, so two workers on one host are told apart in Jaeger. */
  instanceId: string;
};

type Handle = { sdk: NodeSDK; prometheus: PrometheusExporter; info: TelemetryInfo };

// One SDK per process: the OTel API globals can only be registered once anyway.
let handle: Handle | undefined;
let disabledInfo: TelemetryInfo | undefined;
let shuttingDown: Promise<void> | undefined;

/**
 * Starts the OpenTelemetry NodeSDK once per process. Standard OTEL_* variables (endpoint, sampler,
 * headers, batch sizes) are left to the SDK and its exporters; this function adds the turnq
 * choices: the resource, the Prometheus reader, optional OTLP metrics, and undici as the only
 * instrumentation (auto-instrumenting http/ioredis would turn BullMQ's background Redis polling
 * into a flood of root spans).
 */
export function startTelemetry(opts: StartTelemetryOptions = {}): TelemetryInfo {
  if (handle) return handle.info;
  if (disabledInfo) return disabledInfo;
  const config = readTelemetryConfig(opts.env ?? {}, pick(opts));
  const info: TelemetryInfo = {
    enabled: !config.disabled,
    tracesExported: !config.disabled && (opts.spanProcessors ? opts.spanProcessors.length > 0 : config.exportTraces),
    serviceName: config.serviceName,
    serviceVersion: config.serviceVersion,
    instanceId: randomUUID(),
  };
  if (config.disabled) {
    // Leave the API's no-op providers in place: spans, metrics and propagation all become no-ops.
    disabledInfo = info;
    setSpansRecorded(false);
    return info;
  }

  // No HTTP server of its own: the API and worker serve the text on their own `/metrics` route.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const metricReaders = config.otlpMetrics
    ? [prometheus, new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: config.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(30_000, config.metricExportIntervalMs),
      })]
    : [prometheus];

  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: info.serviceName,
        [ATTR_SERVICE_VERSION]: info.serviceVersion,
        "service.instance.id": info.instanceId,
      }),
    ),
    // Our own instance id above replaces the SDK's serviceInstanceIdDetector; the process detector
    // is left out because command-line arguments are not something we want shipped to a backend.
    resourceDetectors: [envDetector, hostDetector, osDetector],
    // Applied after detection so OTEL_SERVICE_NAME in the env object we were given wins.
    serviceName: info.serviceName,
    metricReaders,
    // Logs go to stdout through pino; without this the SDK would also start an OTLP log exporter.
    logRecordProcessors: [],
    // The start hook runs in the caller's context, so HTTP calls made for a turn (the LLM request)
    // carry the turn's gen_ai.conversation.id like every other span of it.
    // (Not installed when spans cannot record: its attributes would be dropped.)
    instrumentations: [
      new UndiciInstrumentation({
        requireParentforSpans: true,
        // A request whose caller traces it with its own span and traceparent (the LLM call's chat span).
        ignoreRequestHook: () => httpTracedByCaller(),
        ...(info.tracesExported ? { startSpanHook: () => conversationAttributes(context.active()) } : {}),
      }),
    ],
    // Not exporting: no SDK tracer provider (none is made without span processors); ours is
    // registered below instead.
    ...(opts.spanProcessors ? { spanProcessors: opts.spanProcessors } : config.exportTraces ? {} : { spanProcessors: [] }),
  });
  sdk.start();
  if (!opts.spanProcessors && !config.exportTraces) {
    // Not exporting still propagates: every turn gets a trace id (stored on the turn and its
    // messages, and carried across the queue) and log lines their trace_id, but every span is a
    // non-recording one that costs an id and a context, nothing more.
    if (!trace.setGlobalTracerProvider(new NonRecordingTracerProvider())) diag.warn("turnq telemetry: a tracer provider was already registered");
  }
  setSpansRecorded(info.tracesExported);
  handle = { sdk, prometheus, info };
  return info;
}

/**
 * Flushes pending spans/metrics and shuts the SDK down. Safe to call many times and when telemetry
 * never started. Never rejects: it runs last on SIGTERM, where a failed export must not turn a clean
 * exit into a crash. `timeoutMs` (default 5 s) bounds the wait when the collector is unreachable;
 * exporter retries may still hold the event loop open, so the caller should `process.exit()` after.
 * Afterwards the API globals are back to no-ops and `startTelemetry` may run again (tests rely on this).
 */
export function shutdownTelemetry(opts: { timeoutMs?: number } = {}): Promise<void> {
  disabledInfo = undefined;
  setSpansRecorded(true);
  if (handle) {
    const { sdk } = handle;
    handle = undefined;
    shuttingDown = sdk
      .shutdown()
      .catch((err: unknown) => diag.warn("turnq telemetry shutdown failed", err))
      .finally(() => {
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      });
  }
  const pending = shuttingDown;
  if (!pending) return Promise.resolve();
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    void pending.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The Prometheus reader of the running SDK, or undefined when telemetry is disabled/not started. */
export function activePrometheusReader(): PrometheusExporter | undefined {
  return handle?.prometheus;
}

/** What `startTelemetry` resolved, or undefined before it ran. */
export function telemetryInfo(): TelemetryInfo | undefined {
  return handle?.info ?? disabledInfo;
}

function pick(opts: StartTelemetryOptions): { serviceName?: string; serviceVersion?: string } {
  const out: { serviceName?: string; serviceVersion?: string } = {};
  if (opts.serviceName !== undefined) out.serviceName = opts.serviceName;
  if (opts.serviceVersion !== undefined) out.serviceVersion = opts.serviceVersion;
  return out;
}
