import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { contextFromTraceparent, currentTraceparent, traceIdOf, withSpan } from "../src/index.ts";
import { createInMemoryTracing, type InMemoryTracing } from "../src/testing/index.ts";

// Shaped like @turnq/core's TurnqError without importing it: withSpan recognises the code structurally.
class FakeTurnqError extends Error {
  readonly code = "llm_timeout";
  override name = "TurnqError";
}

let tracing: InMemoryTracing;
beforeEach(() => {
  tracing = createInMemoryTracing();
});
afterEach(async () => {
  await tracing.shutdown();
});

describe("withSpan", () => {
  it("ends the span and returns the callback's value", async () => {
    const value = await withSpan("ok-op", { kind: SpanKind.CLIENT, attributes: { "a.b": 1 } }, async () => 42);
    expect(value).toBe(42);
    const [span] = tracing.spans();
    expect(span?.name).toBe("ok-op");
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes["a.b"]).toBe(1);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("records a thrown turnq error with status ERROR, the exception event and turnq.error.code, then rethrows", async () => {
    await expect(withSpan("failing-op", {}, async () => { throw new FakeTurnqError("model took too long"); })).rejects.toThrow("model took too long");
    const [span] = tracing.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: "model took too long" });
    expect(span?.attributes["turnq.error.code"]).toBe("llm_timeout");
    expect(span?.attributes["error.type"]).toBe("llm_timeout");
    expect(span?.events.map((e) => e.name)).toEqual(["exception"]);
  });

  it("does not mistake a Node system error code for a turnq code", async () => {
    const err = Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" });
    await expect(withSpan("net-op", {}, async () => { throw err; })).rejects.toBe(err);
    const [span] = tracing.spans();
    expect(span?.attributes["turnq.error.code"]).toBeUndefined();
    expect(span?.attributes["error.type"]).toBe("Error");
  });

  it("nests spans started inside the callback under the active span", async () => {
    await withSpan("parent", {}, async () => {
      await withSpan("child", {}, async () => undefined);
    });
    const child = tracing.spans().find((s) => s.name === "child");
    const parent = tracing.spans().find((s) => s.name === "parent");
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(parent?.spanContext().traceId);
  });

  it("starts a new trace with root: true and keeps the cause as a link", async () => {
    await withSpan("cause", {}, async (cause) => {
      await withSpan("job", { root: true, links: [{ context: cause.spanContext() }] }, async () => undefined);
    });
    const cause = tracing.spans().find((s) => s.name === "cause");
    const job = tracing.spans().find((s) => s.name === "job");
    expect(job?.parentSpanContext).toBeUndefined();
    expect(job?.spanContext().traceId).not.toBe(cause?.spanContext().traceId);
    expect(job?.links[0]?.context.spanId).toBe(cause?.spanContext().spanId);
  });
});

describe("traceparent propagation", () => {
  it("continues the same trace in a span started from contextFromTraceparent, as the worker does for an API turn", async () => {
    // "API": capture the traceparent inside the request span, as it would be stored with the turn.
    const stored = await withSpan("POST /sessions/:id/turns", { kind: SpanKind.SERVER }, async () => currentTraceparent());
    expect(stored).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // "Worker": a different async context with nothing active, continuing from the stored string.
    await context.with(context.active(), async () => {
      expect(trace.getActiveSpan()).toBeUndefined();
      await withSpan("turn", { kind: SpanKind.CONSUMER, parent: contextFromTraceparent(stored) }, async () => undefined);
    });

    const api = tracing.spans().find((s) => s.name === "POST /sessions/:id/turns");
    const turn = tracing.spans().find((s) => s.name === "turn");
    expect(turn?.spanContext().traceId).toBe(api?.spanContext().traceId);
    expect(turn?.parentSpanContext?.spanId).toBe(api?.spanContext().spanId);
    expect(traceIdOf(stored)).toBe(api?.spanContext().traceId);
  });

  it("has no traceparent outside a span and starts a fresh trace from a missing or malformed one", async () => {
    expect(currentTraceparent()).toBeUndefined();
    for (const bad of [undefined, null, "", "garbage", "00-00000000000000000000000000000000-0000000000000000-01"]) {
      const ctx = contextFromTraceparent(bad);
      expect(trace.getSpanContext(ctx)).toBeUndefined();
      expect(traceIdOf(bad)).toBeUndefined();
    }
  });
});
