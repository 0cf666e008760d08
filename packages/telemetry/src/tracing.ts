import {
  context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanKind,
  type SpanOptions,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

import { conversationAttributes } from "./conversation.ts";
import { turnqVersion } from "./version.ts";

export const TRACER_NAME = "turnq";
export const ATTR_TURNQ_ERROR_CODE = "turnq.error.code";

/** The turnq tracer. Resolved per call so it follows whichever provider is registered. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME, turnqVersion());
}

export type WithSpanOptions = {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Start a new trace even if a span is active (e.g. a worker job linked to, not parented by, its cause). */
  root?: boolean;
  /** Parent context, e.g. from `contextFromTraceparent`; defaults to the active context. */
  parent?: Context;
  /** When the work began, if before this call (epoch ms), e.g. a step done before the trace was known. */
  startTime?: number;
};

// False while `startTelemetry` has set up spans that never record (nothing exports them, or the SDK
// is disabled): then building start-time attributes is wasted work. True by default, so a provider
// registered by other means (the in-memory test tracing) gets every attribute.
let spansRecorded = true;

/** For `startTelemetry`/`shutdownTelemetry` only: whether spans started from now on can record. */
export function setSpansRecorded(recorded: boolean): void {
  spansRecorded = recorded;
}

/**
 * False when this process's spans are known never to record (telemetry started with no exporter, or
 * disabled): they still carry trace and span ids, but attributes, events and status are dropped.
 * For call sites that build start-time attributes at a cost; after start, `span.isRecording()`.
 */
export function spansMayRecord(): boolean {
  return spansRecorded;
}

/**
 * Runs `fn` inside a new active span. On throw the span gets status ERROR, the exception event and
 * the turnq error code; the error is rethrown unchanged. The span always ends. A conversation id in
 * the parent context (`contextWithConversation`) is stamped on the span as `gen_ai.conversation.id`.
 * When spans cannot record (see `spansMayRecord`), attributes and links are neither built nor passed.
 */
export function withSpan<T>(name: string, opts: WithSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = opts.parent ?? context.active();
  const spanOptions: SpanOptions = {};
  if (opts.kind !== undefined) spanOptions.kind = opts.kind;
  if (opts.root) spanOptions.root = true;
  if (opts.startTime !== undefined) spanOptions.startTime = opts.startTime;
  if (spansRecorded) {
    if (opts.links) spanOptions.links = opts.links;
    const attributes = { ...conversationAttributes(parent), ...opts.attributes };
    if (Object.keys(attributes).length > 0) spanOptions.attributes = attributes;
  }
  return tracer().startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordSpanError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` as failed by `err`. Exported for code that manages spans by hand (streams). */
export function recordSpanError(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const code = turnqErrorCodeOf(err);
  if (code) span.setAttribute(ATTR_TURNQ_ERROR_CODE, code);
  span.setAttribute("error.type", code ?? (err instanceof Error ? err.name : "unknown"));
  if (err instanceof Error) span.recordException(err);
  else span.recordException(String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * The `code` of a TurnqError (from @turnq/core), recognised structurally so this package does not
 * depend on core. turnq codes are lower snake_case ("llm_timeout"); Node/undici codes such as
 * "ECONNREFUSED" or "UND_ERR_SOCKET" are upper case and deliberately not reported as turnq codes.
 */
export function turnqErrorCodeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = err.code;
  return typeof code === "string" && /^[a-z][a-z0-9_]*$/.test(code) ? code : undefined;
}

// The W3C propagator itself rather than the global one: these helpers speak `traceparent` by name,
// and must keep doing so even if OTEL_PROPAGATORS selects b3 for HTTP headers.
const w3c = new W3CTraceContextPropagator();

const HTTP_TRACED_BY_CALLER = createContextKey("turnq.http.traced_by_caller");

/**
 * Runs `fn` without undici's HTTP client spans (sdk.ts skips them there): for a caller whose own
 * CLIENT span already stands for the request and which sends its own `traceparent` (the worker's
 * `chat {model}` span around an LLM call). A second span per request would only repeat it, and each
 * exported span is CPU on the hot path.
 */
export function withCallerTracedHttp<T>(fn: () => T): T {
  return context.with(context.active().setValue(HTTP_TRACED_BY_CALLER, true), fn);
}

/** Whether undici's instrumentation should leave the requests made in `ctx` alone (see withCallerTracedHttp). */
export function httpTracedByCaller(ctx: Context = context.active()): boolean {
  return ctx.getValue(HTTP_TRACED_BY_CALLER) === true;
}

/** W3C `traceparent` of the active span, if there is one (none when telemetry is disabled). */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/**
 * A fresh context continuing the trace in `traceparent` (ROOT_CONTEXT when absent or invalid), so a
 * worker can parent its spans under the API request that enqueued the turn.
 */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const ctx = w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
  return trace.getSpanContext(ctx) ? ctx : ROOT_CONTEXT;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The 32-hex trace id inside a traceparent, for logs and Jaeger links; undefined when malformed. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  const traceId = match?.[1];
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}
