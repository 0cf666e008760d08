import { Writable } from "node:stream";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createLogger, withSpan } from "../src/index.ts";
import { createInMemoryTracing, type InMemoryTracing } from "../src/testing/index.ts";

/** A stream collecting pino's JSON lines in memory. */
function lineSink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { stream, lines: () => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let tracing: InMemoryTracing;
beforeEach(() => {
  tracing = createInMemoryTracing();
});
afterEach(async () => {
  await tracing.shutdown();
});

describe("createLogger", () => {
  it("puts trace_id and span_id of the active span on lines written inside it, and none outside", async () => {
    const sink = lineSink();
    const log = createLogger({ name: "test", destination: sink.stream });
    log.info("before");
    await withSpan("work", {}, async () => {
      log.info({ turnId: "t1" }, "inside");
    });
    const [before, inside] = sink.lines();
    const span = tracing.spans()[0];
    expect(before?.trace_id).toBeUndefined();
    expect(inside).toMatchObject({ name: "test", msg: "inside", turnId: "t1", trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId });
  });

  it("redacts authorization headers and api keys", () => {
    const sink = lineSink();
    const log = createLogger({ name: "test", destination: sink.stream, level: "debug" });
    log.debug({ req: { headers: { authorization: "Bearer PLANTED", "x-api-key": "PLANTED2" } }, llm: { apiKey: "PLANTED3" }, apiKey: "PLANTED4" }, "call");
    const raw = JSON.stringify(sink.lines());
    expect(raw).not.toContain("PLANTED");
    expect(sink.lines()[0]).toMatchObject({ req: { headers: { authorization: "[REDACTED]" } }, llm: { apiKey: "[REDACTED]" } });
  });
});
