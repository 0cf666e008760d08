/**
 * CPU cost of spans in this process, per tracing mode:
 *
 *   node packages/telemetry/bench/span-cost.ts [none|export|disabled]
 *
 * `none`: startTelemetry with neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_TRACES_EXPORTER (the
 * default of `npm run dev`); `export`: a real span pipeline whose processor encodes every 512 ended
 * spans as the OTLP http/protobuf exporter does and drops the bytes (no network involved);
 * `disabled`: OTEL_SDK_DISABLED=true (the floor).
 * The database spans carry `turnq.db.statement`, as @turnq/db's named hot statements do;
 * SPAN_COST_QUERY_TEXT_BYTES=N gives them a `db.query.text` of N characters instead (those
 * statements' SQL is about 1,400), to see what spelling the SQL out in every span costs.
 * Prints one JSON line: CPU microseconds per operation (median of the rounds) for
 *   raw   startActiveSpan + 5 attributes at start + setAttributes(4) + end, inside a parent span
 *   with  withSpan() with 5 attributes + 2 setAttribute, under a conversation context
 *   turn  the 9 spans of a plain turn in the shape the API and worker make them (nesting, attributes,
 *         database-style child spans with context.with), without any I/O
 */
import { context, trace, type Attributes } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";

import { contextWithConversation, currentTraceparent, startTelemetry, shutdownTelemetry, SpanKind, traceIdOf, tracer, withSpan, contextFromTraceparent } from "../src/index.ts";

const mode = (process.argv[2] ?? "none") as "none" | "export" | "disabled";
const ROUNDS = Number(process.env.ROUNDS ?? 7);

let ended = 0;
let encodedBytes = 0;
const batch: ReadableSpan[] = [];
const encodeEnded: SpanProcessor = {
  onStart: () => {},
  onEnd: (span) => {
    ended++;
    // The BatchSpanProcessor's default batch, encoded as its OTLP/protobuf exporter would.
    if (batch.push(span) >= 512) encodedBytes += ProtobufTraceSerializer.serializeRequest(batch.splice(0))?.length ?? 0;
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const queryTextBytes = Number(process.env.SPAN_COST_QUERY_TEXT_BYTES ?? 0);
const queryText = queryTextBytes > 0 ? `select ${"x, ".repeat(queryTextBytes)}`.slice(0, queryTextBytes) : undefined;

const info =
  mode === "disabled"
    ? startTelemetry({ env: { OTEL_SDK_DISABLED: "true" } })
    : mode === "export"
      ? startTelemetry({ env: {}, spanProcessors: [encodeEnded] })
      : startTelemetry({ env: {} });

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(n: number, op: () => unknown): Promise<number> {
  const results: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const start = cpuMicros();
    for (let i = 0; i < n; i++) {
      const p = op();
      if (p instanceof Promise) await p;
    }
    const used = cpuMicros() - start;
    if (r > 0) results.push(used / n); // round 0 warms up
  }
  results.sort((a, b) => a - b);
  return Math.round(results[Math.floor(results.length / 2)]! * 1000) / 1000;
}

const parentCtx = contextWithConversation("ses_bench", contextFromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

function raw(): void {
  tracer().startActiveSpan(
    "op",
    { kind: SpanKind.CLIENT, attributes: { "a.one": "x", "a.two": 2, "a.three": true, "a.four": "four", "a.five": 5 } },
    parentCtx,
    (span) => {
      span.setAttributes({ "b.one": 1, "b.two": "two", "b.three": 3, "b.four": ["x"] });
      span.end();
    },
  );
}

function viaWithSpan(): Promise<void> {
  return withSpan(
    "op",
    { kind: SpanKind.INTERNAL, parent: parentCtx, attributes: { "a.one": "x", "a.two": 2, "a.three": true, "a.four": "four", "a.five": 5 } },
    async (span) => {
      span.setAttribute("b.one", 1);
      span.setAttribute("b.two", "two");
    },
  );
}

// Shaped like packages/db's traced() running a named statement: start-time attributes, the span made active for the query.
const dbTracer = () => trace.getTracer("@turnq/db");
async function dbSpan(operation: string, collection: string, statement: string): Promise<void> {
  const parent = context.active();
  if (!trace.getSpanContext(parent)) return;
  const span = dbTracer().startSpan(
    `${operation} ${collection}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.collection.name": collection,
        ...(queryText ? { "db.query.text": queryText } : { "turnq.db.statement": statement }),
        "db.namespace": "turnq",
        "server.address": "127.0.0.1",
        "server.port": 5432,
        "gen_ai.conversation.id": "ses_bench",
      } satisfies Attributes,
    },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), () => Promise.resolve());
  } finally {
    span.end();
  }
}

/** The spans of a plain turn in the API and the worker (README "Tracing"). */
async function turn(): Promise<void> {
  let stored: string | undefined;
  await withSpan(
    "POST",
    { kind: SpanKind.SERVER, parent: contextWithConversation("ses_bench", context.active()), attributes: { "http.request.method": "POST", "url.path": "/v1/sessions/ses_bench/turns", "url.scheme": "http", "server.port": 3000 } },
    async (server) => {
      await withSpan("send sessions", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "bullmq", "messaging.operation.type": "send", "messaging.operation.name": "send", "messaging.destination.name": "sessions", "messaging.message.conversation_id": "ses_bench" } }, async (send) => {
        stored = currentTraceparent();
        traceIdOf(stored);
        await dbSpan("INSERT", "turns", "submit_turn");
        send.setAttributes({ "turnq.turn.id": "turn_1", "turnq.turn.position": 1, "turnq.turn.created": true });
      });
      server.setAttribute("http.route", "/v1/sessions/{id}/turns");
      server.updateName("POST /v1/sessions/{id}/turns");
      server.setAttribute("http.response.status_code", 202);
    },
  );
  const parent = contextWithConversation("ses_bench", contextFromTraceparent(stored));
  await withSpan(
    "process sessions",
    { kind: SpanKind.CONSUMER, parent, attributes: { "messaging.system": "bullmq", "messaging.operation.type": "process", "messaging.operation.name": "process", "messaging.destination.name": "sessions", "messaging.message.conversation_id": "ses_bench", "messaging.message.id": "1", "turnq.turn.id": "turn_1", "turnq.turn.position": 1, "turnq.turn.attempt": 1, "turnq.turn.queue_wait_ms": 3 } },
    async (consumer) => {
      await dbSpan("UPDATE", "turns", "claim_turn");
      await withSpan("invoke_agent", { attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "openai" } }, async (agent) => {
        agent.updateName("invoke_agent default");
        agent.setAttribute("gen_ai.agent.name", "default");
        await withSpan("load_context", { attributes: { "turnq.context.window_messages": 50 } }, async (load) => {
          load.setAttribute("turnq.context.messages", 2);
        });
        await withSpan("chat turnq-sim", { kind: SpanKind.CLIENT, attributes: { "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "turnq-sim", "gen_ai.request.stream": true } }, async (chat) => {
          chat.setAttributes({ "gen_ai.response.model": "turnq-sim", "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 30, "gen_ai.usage.cache_read.input_tokens": 0, "gen_ai.response.finish_reasons": ["stop"], "turnq.llm.attempts": 1, "turnq.llm.time_to_first_chunk_ms": 1.5, "gen_ai.response.time_to_first_chunk": 0.0015 });
        });
        await dbSpan("INSERT", "messages", "finish_turn");
        agent.setAttribute("turnq.turn.outcome", "completed");
      });
      consumer.setAttribute("turnq.turn.outcome", "completed");
    },
  );
}

// Sanity: ids exist and propagate in every mode but `disabled`.
let sanityTp: string | undefined;
await withSpan("sanity", {}, async () => void (sanityTp = currentTraceparent()));

const out = {
  mode,
  tracesExported: info.tracesExported,
  sanityTraceparent: sanityTp ?? null,
  cpuMicrosPerOp: {
    raw: await measure(100_000, raw),
    withSpan: await measure(100_000, viaWithSpan),
    turn: await measure(10_000, turn),
  },
  spansEndedIntoProcessor: ended,
  encodedBytesPerSpan: ended > 0 ? Math.round(encodedBytes / (ended - batch.length)) : null,
};
await shutdownTelemetry();
console.log(JSON.stringify(out));
