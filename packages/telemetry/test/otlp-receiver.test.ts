import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";

import { buildTree, formatTree, OtlpSpanKind, OtlpStatusCode, startOtlpReceiver, type OtlpReceiver } from "../src/testing/index.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  cleanups.push(() => r.close());
  return r;
}

describe("startOtlpReceiver", () => {
  it("decodes spans sent by the real OTLP/protobuf exporter, with parentage, attributes, links and resource", async () => {
    const otlp = await receiver();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "receiver-test" }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlp.url}/v1/traces` }) })],
    });
    cleanups.push(() => provider.shutdown());
    const tracer = provider.getTracer("receiver-test-scope");

    const parent = tracer.startSpan("parent", { kind: SpanKind.SERVER, attributes: { "http.route": "/x", "retry.count": 3, "flag.on": true, tags: ["a", "b"] } });
    const child = tracer.startSpan("child", { kind: SpanKind.CLIENT, links: [{ context: parent.spanContext() }] }, trace.setSpan(ROOT_CONTEXT, parent));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
    child.end();
    parent.end();
    await provider.forceFlush();

    const spans = await otlp.waitFor((s) => s.length >= 2);
    const p = spans.find((s) => s.name === "parent");
    const c = spans.find((s) => s.name === "child");
    expect(p).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: "",
      kind: OtlpSpanKind.server,
      serviceName: "receiver-test",
      scopeName: "receiver-test-scope",
      attributes: { "http.route": "/x", "retry.count": 3, "flag.on": true, tags: ["a", "b"] },
    });
    expect(c).toMatchObject({
      traceId: parent.spanContext().traceId,
      parentSpanId: parent.spanContext().spanId,
      kind: OtlpSpanKind.client,
      status: { code: OtlpStatusCode.error, message: "boom" },
      links: [{ traceId: parent.spanContext().traceId, spanId: parent.spanContext().spanId, attributes: {} }],
    });
    expect(BigInt(c?.endTimeUnixNano ?? "0")).toBeGreaterThanOrEqual(BigInt(c?.startTimeUnixNano ?? "0"));
    expect(formatTree(buildTree(spans))).toBe("parent\n  child");
    expect(otlp.rawBodies().length).toBeGreaterThan(0);
  });

  it("accepts OTLP/JSON trace requests and acknowledges metrics", async () => {
    const otlp = await receiver();
    const body = {
      resourceSpans: [{
        resource: { attributes: [{ key: "service.name", value: { stringValue: "json-svc" } }] },
        scopeSpans: [{
          scope: { name: "s" },
          spans: [{
            traceId: "5B8EFFF798038103D269B633813FC60C",
            spanId: "EEE19B7EC3C1B174",
            parentSpanId: "",
            name: "json-span",
            kind: 3,
            startTimeUnixNano: "1544712660000000000",
            endTimeUnixNano: "1544712661000000000",
            attributes: [{ key: "n", value: { intValue: "7" } }],
          }],
        }],
      }],
    };
    const traces = await fetch(`${otlp.url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(traces.status).toBe(200);
    const metrics = await fetch(`${otlp.url}/v1/metrics`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array() });
    expect(metrics.status).toBe(200);

    const [span] = await otlp.waitFor((s) => s.length === 1);
    expect(span).toMatchObject({ traceId: "5b8efff798038103d269b633813fc60c", name: "json-span", kind: 3, serviceName: "json-svc", attributes: { n: 7 } });
  });

  it("rejects waitFor with the received span names when the condition never holds", async () => {
    const otlp = await receiver();
    await expect(otlp.waitFor((s) => s.length > 0, 50)).rejects.toThrow(/within 50ms; received spans: \[\]/);
  });
});
