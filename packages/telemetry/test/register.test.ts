import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import { buildTree, formatTree, OtlpSpanKind, startOtlpReceiver, type OtlpReceiver } from "../src/testing/index.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

let otlp: OtlpReceiver | undefined;
afterEach(async () => {
  await otlp?.close();
  otlp = undefined;
});

/** Runs an ESM snippet under `node --import <register>` from the repo root, like the apps' start scripts. */
async function runWithRegister(register: string, script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The child must see only the OTEL_* settings this test chooses.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_") && k !== "NODE_OPTIONS"));
  const child = spawn(process.execPath, ["--import", register, "--input-type=module", "-e", script], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

// A turn-shaped script: a span with an outbound fetch inside (must become a CLIENT child through the
// undici instrumentation), a fetch outside any span (must not create a root span), then shutdown.
const SCRIPT = `
import { withSpan, shutdownTelemetry, currentTraceparent, metricsText, createContentCapture, GenAiAttr } from "@turnq/telemetry";
const target = process.env.TEST_FETCH_URL;
const { captureContent } = createContentCapture(process.env);
await fetch(target, { method: "POST", body: "outside" });
const tp = await withSpan("chat", { attributes: { [GenAiAttr.requestModel]: "m1" } }, async (span) => {
  const input = captureContent([{ role: "user", content: "use sk-PLANTEDsecretkey0123456789" }]);
  if (input) span.setAttribute(GenAiAttr.inputMessages, input);
  await fetch(target, { method: "POST", body: "inside", headers: { authorization: "Bearer PLANTEDbearertoken123" } });
  return currentTraceparent();
});
const text = await metricsText();
await shutdownTelemetry();
console.log(JSON.stringify({ tp, metricsIsString: typeof text === "string" }));
`;

describe("register entry", () => {
  it("exports spans with service.name, service.version and service.instance.id when preloaded by path", async () => {
    otlp = await startOtlpReceiver();
    const run = await runWithRegister("./packages/telemetry/src/register.ts", SCRIPT, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: "test-svc",
      TURNQ_VERSION: "9.9.9-test",
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      TEST_FETCH_URL: `${otlp.url}/v1/metrics`,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);

    const spans = await otlp.waitFor((s) => s.some((x) => x.name === "chat"));
    const chat = spans.find((s) => s.name === "chat");
    expect(chat?.serviceName).toBe("test-svc");
    expect(chat?.resource["service.version"]).toBe("9.9.9-test");
    expect(chat?.resource["service.instance.id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(chat?.attributes["gen_ai.request.model"]).toBe("m1");
    expect(JSON.parse(run.stdout).tp).toContain(chat?.traceId);

    // Exactly one tree: chat with its outbound HTTP call; the parentless fetch made no span.
    expect(formatTree(buildTree(spans))).toBe("chat\n  POST");
    const client = spans.find((s) => s.parentSpanId === chat?.spanId);
    expect(client?.kind).toBe(OtlpSpanKind.client);

    // Captured content arrived scrubbed, and neither planted secret is anywhere in the exported bytes
    // (rawBodies also holds the script's own "inside"/"outside" fetch bodies, which carry none).
    expect(String(chat?.attributes["gen_ai.input.messages"])).toContain("use [REDACTED]");
    const exported = Buffer.concat(otlp.rawBodies()).toString("latin1");
    expect(exported).not.toContain("PLANTEDsecretkey");
    expect(exported).not.toContain("PLANTEDbearertoken");
  });

  it("works through the package specifier exactly as the apps' command line uses it", async () => {
    otlp = await startOtlpReceiver();
    const run = await runWithRegister("@turnq/telemetry/register", SCRIPT, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: "turnq-worker",
      TEST_FETCH_URL: `${otlp.url}/v1/metrics`,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const spans = await otlp.waitFor((s) => s.some((x) => x.name === "chat"));
    expect(spans.find((s) => s.name === "chat")?.serviceName).toBe("turnq-worker");
  });

  it("with no exporter configured, spans do not record but trace ids exist and reach outbound requests", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.traceparent as string | undefined);
      res.end("ok");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const run = await runWithRegister(
        "./packages/telemetry/src/register.ts",
        `
import { withSpan, shutdownTelemetry, currentTraceparent, spansMayRecord } from "@turnq/telemetry";
const out = await withSpan("chat", {}, async (span) => {
  await (await fetch(process.env.TEST_FETCH_URL)).text();
  return { tp: currentTraceparent(), recording: span.isRecording(), mayRecord: spansMayRecord() };
});
await shutdownTelemetry();
console.log(JSON.stringify(out));
`,
        { TEST_FETCH_URL: `http://127.0.0.1:${port}/` },
      );
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as { tp: string; recording: boolean; mayRecord: boolean };
      expect(out.recording).toBe(false);
      expect(out.mayRecord).toBe(false);
      expect(out.tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      // The outbound request is undici's own (non-recording) child span in the same trace.
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(new RegExp(`^00-${out.tp.slice(3, 35)}-[0-9a-f]{16}-00$`));
      expect(seen[0]).not.toBe(out.tp);
    } finally {
      server.close();
    }
  });

  it("sends nothing and throws nothing with OTEL_SDK_DISABLED=true", async () => {
    otlp = await startOtlpReceiver();
    const run = await runWithRegister("./packages/telemetry/src/register.ts", SCRIPT, {
      OTEL_SDK_DISABLED: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: "test-svc",
      // Point the script's fetches elsewhere so only an exporter could produce a request here.
      TEST_FETCH_URL: "data:text/plain,ok",
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ metricsIsString: true });
    // The child flushed and exited before we look: anything it was going to send has arrived.
    expect(otlp.rawBodies()).toEqual([]);
    expect(otlp.spans()).toEqual([]);
  });
});
