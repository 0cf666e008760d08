/**
 * `@turnq/telemetry`: the pieces apps and packages import. The SDK itself is started by
 * `@turnq/telemetry/register` (node --import); test helpers live in `@turnq/telemetry/testing`.
 */
export { startTelemetry, shutdownTelemetry, telemetryInfo, type StartTelemetryOptions, type TelemetryInfo } from "./sdk.ts";
export { metricsText, metricsHandler, PROMETHEUS_CONTENT_TYPE } from "./metrics-endpoint.ts";
export {
  tracer,
  withSpan,
  recordSpanError,
  turnqErrorCodeOf,
  currentTraceparent,
  contextFromTraceparent,
  withCallerTracedHttp,
  traceIdOf,
  spansMayRecord,
  TRACER_NAME,
  ATTR_TURNQ_ERROR_CODE,
  type WithSpanOptions,
} from "./tracing.ts";
export { contextWithConversation, conversationIdOf, conversationAttributes, CONVERSATION_CONTEXT_KEY_NAME } from "./conversation.ts";
export { GenAiAttr, GenAiOperation, GenAiTokenType, GenAiMetric, ATTR_ERROR_TYPE, type GenAiAttrName, type GenAiTokenTypeValue } from "./genai.ts";
export {
  createContentCapture,
  serializeContent,
  capUtf8,
  CAPTURE_CONTENT_ENV,
  CONTENT_MAX_BYTES_ENV,
  DEFAULT_CONTENT_MAX_BYTES,
  type ContentCapture,
} from "./content-capture.ts";
export { scrubSecrets, scrubString, isSecretKey, REDACTED } from "./scrub-secrets.ts";
export { createLogger, traceMixin, REDACT_PATHS, type CreateLoggerOptions, type Logger } from "./logger.ts";
export {
  ATTR_TURNQ_TENANT_ID,
  createTurnMetrics,
  turnqMeter,
  type TurnMetrics,
  type TurnMetricsSources,
  type GaugeSource,
  type GaugeReading,
  type GenAiCallAttributes,
} from "./metrics.ts";
export { turnqVersion } from "./version.ts";
export type { TelemetryEnv } from "./env.ts";
// Re-exported so callers need not depend on @opentelemetry/api for the common types.
export { SpanKind, SpanStatusCode, ROOT_CONTEXT, context, propagation, trace, type Span, type Context, type Attributes, type Link } from "@opentelemetry/api";
