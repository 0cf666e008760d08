import { Writable } from "node:stream";

import { context, trace, TraceFlags } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { afterEach, describe, expect, it } from "vitest";

import {
  contextFromTraceparent,
  contextWithConversation,
  createLogger,
  currentTraceparent,
  shutdownTelemetry,
  SpanKind,
  spansMayRecord,
  startTelemetry,
  traceIdOf,
  tracer,
  withSpan,
} from "../src/index.ts";
import { createInMemoryTracing } from "../src/testing/index.ts";

// startTelemetry as `npm run dev` gets it without a collector: no OTLP endpoint, no OTEL_TRACES_EXPORTER.
afterEach(async () => {
  await shutdownTelemetry();
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/;

describe("tracing with nothing exporting", () => {
  it("makes non-recording spans that still carry fresh, valid, unique ids and a traceparent", async () => {
    const info = startTelemetry({ env: { OTEL_SERVICE_NAME: "no-exporter-test" } });
    expect(info).toMatchObject({ enabled: true, tracesExported: false });
    expect(spansMayRecord()).toBe(false);

    const seen = await Promise.all(
      Array.from({ length: 200 }, () =>
        withSpan("op", { kind: SpanKind.SERVER, attributes: { "a.b": 1 } }, async (span) => {
          expect(span.isRecording()).toBe(false);
          return currentTraceparent();
        }),
      ),
    );
    for (const tp of seen) expect(tp).toMatch(TRACEPARENT);
    expect(new Set(seen.map(traceIdOf)).size).toBe(200);
  });

  it("nests children in the same trace with their own span ids, and root: true starts a new trace", async () => {
    startTelemetry({ env: {} });
    const got = await withSpan("parent", {}, async (parent) => {
      const child = await withSpan("child", {}, async (span) => span.spanContext());
      const root = await withSpan("job", { root: true, links: [{ context: parent.spanContext() }] }, async (span) => span.spanContext());
      return { parent: parent.spanContext(), child, root };
    });
    expect(got.child.traceId).toBe(got.parent.traceId);
    expect(got.child.spanId).not.toBe(got.parent.spanId);
    expect(got.root.traceId).not.toBe(got.parent.traceId);
    expect(got.child.traceFlags).toBe(TraceFlags.NONE);
  });

  it("continues a stored traceparent whatever its sampled flag, as the worker does for a turn", async () => {
    startTelemetry({ env: {} });
    // The API stores this (flag 00: nothing recorded it)…
    const stored = await withSpan("send sessions", { kind: SpanKind.PRODUCER }, async () => currentTraceparent());
    const [, traceId, sendSpanId] = TRACEPARENT.exec(stored ?? "") ?? [];
    expect(traceId).toBeDefined();
    // …and the worker, in another async context with nothing active, continues it; so does a
    // worker handed a parent that a sampling exporter did record (flag 01).
    for (const parent of [stored, `00-${traceId}-${sendSpanId}-01`]) {
      await context.with(context.active(), async () => {
        const parentCtx = contextWithConversation("ses_1", contextFromTraceparent(parent));
        const inner = await withSpan("process sessions", { kind: SpanKind.CONSUMER, parent: parentCtx }, async () =>
          withSpan("invoke_agent", {}, async () => currentTraceparent()),
        );
        expect(traceIdOf(inner)).toBe(traceId);
        expect(TRACEPARENT.exec(inner ?? "")?.[2]).not.toBe(sendSpanId);
      });
    }
  });

  it("puts trace_id and span_id on log lines written inside a span", async () => {
    startTelemetry({ env: {} });
    let text = "";
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString("utf8");
        done();
      },
    });
    const log = createLogger({ name: "test", destination });
    const spanContext = await withSpan("work", {}, async (span) => {
      log.info("inside");
      return span.spanContext();
    });
    expect(JSON.parse(text)).toMatchObject({ msg: "inside", trace_id: spanContext.traceId, span_id: spanContext.spanId });
  });

  it("reads no attributes and follows the API's rules for suppression and callbacks", () => {
    startTelemetry({ env: {} });
    const attributes = new Proxy({}, { ownKeys: () => { throw new Error("attributes were read"); } });
    const span = tracer().startSpan("db", { attributes });
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    span.end();

    expect(trace.isSpanContextValid(tracer().startSpan("x", {}, suppressTracing(context.active())).spanContext())).toBe(false);
    expect(tracer().startActiveSpan("a", (s) => trace.getActiveSpan() === s)).toBe(true);
    expect(tracer().startActiveSpan("b", {}, (s) => trace.getActiveSpan() === s)).toBe(true);
    expect(tracer().startActiveSpan("c", {}, context.active(), (s) => trace.getActiveSpan() === s)).toBe(true);
  });

  it("records again once shut down: the in-memory test tracing gets every attribute", async () => {
    startTelemetry({ env: {} });
    await shutdownTelemetry();
    expect(spansMayRecord()).toBe(true);
    const tracing = createInMemoryTracing();
    try {
      await withSpan("op", { attributes: { "a.b": 1 }, parent: contextWithConversation("ses_1", context.active()) }, async () => undefined);
      expect(tracing.spans()[0]?.attributes).toEqual({ "a.b": 1, "gen_ai.conversation.id": "ses_1" });
    } finally {
      await tracing.shutdown();
    }
  });
});

describe("a recording provider given an unsampled parent", () => {
  it("keeps the parent's trace id on spans it does not record (the default parent-based sampler)", async () => {
    const tracing = createInMemoryTracing();
    try {
      const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
      const tp = await withSpan("process sessions", { parent: contextFromTraceparent(parent) }, async (span) => {
        expect(span.isRecording()).toBe(false);
        return currentTraceparent();
      });
      expect(traceIdOf(tp)).toBe("0af7651916cd43dd8448eb211c80319c");
      expect(tracing.spans()).toEqual([]);
    } finally {
      await tracing.shutdown();
    }
  });
});
