import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Level, type Logger } from "pino";
import { stdoutDestination } from "./stdout-destination.ts";

export type { Logger } from "pino";

export type CreateLoggerOptions = {
  /** Logger name, e.g. "turnq-api"; appears as `name` on every line. */
  name: string;
  level?: Level | "silent";
  /** Where JSON lines go; stdout by default. Tests pass a stream they can read. */
  destination?: DestinationStream;
};

/**
 * Paths pino blanks before a line is written. Covers the shapes our code actually logs: request
 * and response headers, LLM client config, and error details. Content capture has its own scrubber.
 */
export const REDACT_PATHS = [
  "authorization",
  "headers.authorization",
  'headers["x-api-key"]',
  "headers.cookie",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "request.headers.authorization",
  'request.headers["x-api-key"]',
  "*.headers.authorization",
  '*.headers["x-api-key"]',
  "apiKey",
  "api_key",
  "*.apiKey",
  "*.api_key",
  "password",
  "*.password",
  "token",
  "*.token",
] as const;

/**
 * JSON logger whose lines carry `trace_id`/`span_id` of the span active when the line is written,
 * so a log line in Loki/grep leads straight to the Jaeger trace.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options = {
    name: opts.name,
    level: opts.level ?? "info",
    // ISO timestamps read better than epoch millis when tailing container logs.
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: "[REDACTED]" },
    mixin: traceMixin,
  };
  // Synchronous stdout, so lines survive a process.exit(), and never a hang when stdout's reader is gone.
  return pino(options, opts.destination ?? stdoutDestination());
}

/** `{ trace_id, span_id }` of the active span, or nothing outside a (valid) span. */
export function traceMixin(): Record<string, string> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
