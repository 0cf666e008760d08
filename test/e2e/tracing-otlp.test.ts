import { randomBytes } from "node:crypto";
import { createDb } from "@turnq/db";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { buildTree, formatTree, OtlpSpanKind, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "@turnq/telemetry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { redisUrl } from "../support/services.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

const API_KEY = "sk-test-secretPLANTEDkey0123456789";

/** API and worker as real processes started like `npm run start:*`, exporting OTLP/HTTP protobuf to a receiver. */
function describeSystem(title: string, workerExtra: Record<string, string>, body: (s: () => { url: string; otlp: OtlpReceiver; sim: Simulator }) => void) {
  describe(title, () => {
    let db: TestDatabase;
    let sim: Simulator;
    let otlp: OtlpReceiver;
    const procs: AppProcess[] = [];
    let url = "";
    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      db = await createTestDatabase();
      sim = await startSimulator({});
      const shared = {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl(),
        TURNQ_PREFIX: `t${randomBytes(4).toString("hex")}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      };
      const worker = startProcess("worker", "apps/worker/src/main.ts", {
        ...shared,
        OTEL_SERVICE_NAME: "turnq-worker",
        LLM_BASE_URL: sim.url,
        LLM_API_KEY: API_KEY,
        WORKER_CONCURRENCY: "5",
        ...workerExtra,
      }, TELEMETRY_ARGS);
      const api = startProcess("api", "apps/api/src/main.ts", { ...shared, OTEL_SERVICE_NAME: "turnq-api", PORT: "0" }, TELEMETRY_ARGS);
      procs.push(worker, api);
      await worker.waitForLine(/turnq worker started/);
      url = JSON.parse(await api.waitForLine(/turnq api listening/)).url as string;
      const handle = createDb(db.url, { max: 1 });
      await keyForApi(handle.db, url).finally(() => handle.close());
    });
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop("SIGTERM")));
      await otlp?.close();
      await sim?.close();
      await db?.drop();
    });
    body(() => ({ url, otlp, sim }));
  });
}

async function runTurn(url: string, otlp: OtlpReceiver, input: string) {
  const sessionId = await createSession(url);
  const submitted = await post(url, `/v1/sessions/${sessionId}/turns`, { input });
  expect(submitted.status).toBe(202);
  expect((await waitTurn(url, submitted.body.id)).status).toBe("completed");
  const traceId: string = submitted.body.traceId;
  const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
  const spans = inTrace(
    await otlp.waitFor((all) => {
      const s = inTrace(all);
      return s.some((x) => x.name === "INSERT messages") && s.some((x) => x.kind === OtlpSpanKind.server);
    }, 60_000),
  );
  return { sessionId, traceId, spans };
}

describeSystem("tracing across processes (OTLP/HTTP protobuf)", {}, (sys) => {
  it("joins the API's and the worker's spans in one trace with intact parent links", async () => {
    const { url, otlp, sim } = sys();
    const { sessionId, traceId, spans } = await runTurn(url, otlp, "hello PLANTEDprompt42 across processes");

    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(["turnq-api", "turnq-worker"]));
    // Exactly one trace id for the turn, and one tree in it: every parent was received.
    const roots = buildTree(spans);
    expect(roots.map((r) => r.span.name)).toEqual(["POST /v1/sessions/{id}/turns"]);
    const tree = formatTree(roots);
    expect(tree).toMatch(/^POST \/v1\/sessions\/\{id\}\/turns\n {2}send sessions\n/);
    expect(tree).toContain("  send sessions\n");
    expect(tree).toMatch(/\n {4}process sessions\n {6}UPDATE turns\n {6}invoke_agent[^\n]*\n/);
    expect(tree).toMatch(/\n {8}load_context\n/);
    // The chat span stands for the LLM's HTTP request: no undici span under it...
    expect(tree).toMatch(/\n {8}chat turnq-sim\n {8}INSERT messages(\n|$)/);

    const byName = (n: string) => spans.find((s) => s.name === n)!;
    expect(byName("process sessions").serviceName).toBe("turnq-worker");
    expect(byName("process sessions").kind).toBe(OtlpSpanKind.consumer);
    expect(byName("send sessions").kind).toBe(OtlpSpanKind.producer);
    expect(byName("chat turnq-sim").kind).toBe(OtlpSpanKind.client);
    // ...and the request carried the chat span's traceparent, for a provider that traces.
    const call = sim.requests.find((r) => JSON.stringify(r.messages).includes("PLANTEDprompt42 across processes"));
    expect(call?.traceparent).toBe(`00-${traceId}-${byName("chat turnq-sim").spanId}-01`);
    expect(byName("POST /v1/sessions/{id}/turns").resource["service.instance.id"]).toEqual(expect.any(String));
    expect(spans.filter((s) => s.attributes["gen_ai.conversation.id"] !== sessionId).map((s) => s.name)).toEqual([]);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);

    // Content capture is off: neither the prompt nor the API key is anywhere in what was exported.
    const exported = Buffer.concat(otlp.rawBodies()).toString("latin1");
    expect(otlp.rawBodies().length).toBeGreaterThan(0);
    expect(exported).not.toContain("PLANTEDprompt42");
    expect(exported).not.toContain("secretPLANTEDkey");
    expect(byName("chat turnq-sim").attributes["gen_ai.input.messages"]).toBeUndefined();
  });
});

describeSystem(
  "tracing with message content capture on",
  { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true", TURNQ_OTEL_CONTENT_MAX_BYTES: "400" },
  (sys) => {
    it("puts the prompt and reply on the chat span, capped, and still never the API key", async () => {
      const { url, otlp } = sys();
      const long = `PLANTEDprompt42 ${"lorem ipsum ".repeat(100)}`;
      const { spans } = await runTurn(url, otlp, long);
      const chat = spans.find((s) => s.name === "chat turnq-sim")!;
      const input = String(chat.attributes["gen_ai.input.messages"]);
      const output = String(chat.attributes["gen_ai.output.messages"]);
      expect(input).toContain("PLANTEDprompt42");
      expect(Buffer.byteLength(input)).toBeLessThanOrEqual(400);
      expect(input.endsWith("…[truncated]")).toBe(true);
      expect(output).toContain('"role":"assistant"');
      const exported = Buffer.concat(otlp.rawBodies()).toString("latin1");
      expect(exported).toContain("PLANTEDprompt42");
      expect(exported).not.toContain("secretPLANTEDkey");
    });
  },
);
