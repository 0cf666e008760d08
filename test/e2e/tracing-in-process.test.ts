import { randomBytes } from "node:crypto";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { SpanKind, SpanStatusCode } from "@turnq/telemetry";
import { createInMemoryTracing, type InMemoryTracing } from "@turnq/telemetry/testing";
import { startWorker, workerEnvSchema, type RunningWorker } from "@turnq/worker";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { redisUrl } from "../support/services.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

type Span = ReturnType<InMemoryTracing["spans"]>[number];

// API and worker run in this process with an in-memory tracer, so the whole span tree of a turn can
// be asserted span by span. (No NodeSDK in this file: createInMemoryTracing owns the globals.)
describe("the span tree of a turn (in-process, in-memory exporter)", () => {
  let tracing: InMemoryTracing;
  let db: TestDatabase;
  let sim: Simulator;
  let api: RunningApi;
  let worker: RunningWorker;

  beforeAll(async () => {
    tracing = createInMemoryTracing();
    const prefix = `t${randomBytes(4).toString("hex")}`;
    db = await createTestDatabase();
    sim = await startSimulator({});
    const shared = { DATABASE_URL: db.url, REDIS_URL: redisUrl(), TURNQ_PREFIX: prefix };
    api = await startApi(apiEnvSchema.parse({ ...shared, PORT: "0" }), pino({ level: "warn" }));
    await keyForApi(db.db, api.url);
    worker = await startWorker(
      workerEnvSchema.parse({
        ...shared,
        LLM_BASE_URL: sim.url,
        // No retries inside the LLM call: an LLM 500 becomes a turn-level retry (a new attempt).
        LLM_MAX_ATTEMPTS: "1",
        WORKER_CONCURRENCY: "5",
        SHUTDOWN_GRACE_MS: "1000",
      }),
      pino({ level: "warn" }),
    );
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await sim?.close();
    await db?.drop();
    await tracing?.shutdown();
  });

  const spansOf = (traceId: string) => tracing.spans().filter((s) => s.spanContext().traceId === traceId);
  const parentOf = (s: Span) => s.parentSpanContext?.spanId;
  const idOf = (s: Span) => s.spanContext().spanId;
  const one = (spans: Span[], name: string | RegExp) => {
    const found = spans.filter((s) => (typeof name === "string" ? s.name === name : name.test(s.name)));
    expect(found.map((s) => s.name), `exactly one span named ${name}`).toHaveLength(1);
    return found[0]!;
  };

  it("nests SERVER -> PRODUCER -> CONSUMER -> invoke_agent -> load_context / chat / INSERT messages, with GenAI attributes and the session on every span", async () => {
    const sessionId = await createSession(api.url);
    const submitted = await post(api.url, `/v1/sessions/${sessionId}/turns`, { input: "trace me" });
    expect(submitted.status).toBe(202);
    const traceId: string = submitted.body.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(submitted.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect((await waitTurn(api.url, submitted.body.id)).status).toBe("completed");

    const spans = await vi.waitFor(() => {
      const s = spansOf(traceId);
      if (!s.some((x) => x.name === "process sessions") || !s.some((x) => x.kind === SpanKind.SERVER)) throw new Error("not yet");
      return s;
    }, { timeout: 30_000, interval: 50 });

    const server = one(spans, "POST /v1/sessions/{id}/turns");
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(parentOf(server)).toBeUndefined();
    expect(server.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/v1/sessions/{id}/turns",
      "http.response.status_code": 202,
      "url.path": `/v1/sessions/${sessionId}/turns`,
    });

    const producer = one(spans, "send sessions");
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(producer)).toBe(idOf(server));
    expect(producer.attributes).toMatchObject({ "messaging.destination.name": "sessions", "messaging.operation.type": "send" });
    // The turn's own commit is a database span inside the send.
    expect(parentOf(one(spans, "INSERT turns"))).toBe(idOf(producer));

    const consumer = one(spans, "process sessions");
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consumer)).toBe(idOf(producer));
    expect(consumer.attributes).toMatchObject({
      "turnq.turn.id": submitted.body.id,
      "turnq.turn.position": 1,
      "turnq.turn.attempt": 1,
      "turnq.turn.outcome": "completed",
      "messaging.operation.type": "process",
    });
    expect(consumer.attributes["turnq.turn.queue_wait_ms"]).toEqual(expect.any(Number));

    const agent = one(spans, /^invoke_agent/);
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(agent)).toBe(idOf(consumer));
    expect(agent.attributes["gen_ai.operation.name"]).toBe("invoke_agent");

    // The claim (one statement that also read the context) ran before the trace was known; it is
    // recorded under the consumer span, which starts with it.
    const claim = one(spans, "UPDATE turns");
    expect(parentOf(claim)).toBe(idOf(consumer));
    expect(claim.kind).toBe(SpanKind.CLIENT);
    expect(claim.attributes).toMatchObject({ "db.system.name": "postgresql", "db.operation.name": "UPDATE", "db.collection.name": "turns" });
    expect(hrMs(claim.startTime)).toBeGreaterThanOrEqual(hrMs(consumer.startTime));
    const load = one(spans, "load_context");
    expect(parentOf(load)).toBe(idOf(agent));
    // A fresh session's history came with the claim: building the context read nothing more.
    expect(spans.filter((s) => parentOf(s) === idOf(load))).toEqual([]);

    const chat = one(spans, "chat turnq-sim");
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(chat)).toBe(idOf(agent));
    expect(chat.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "turnq-sim",
      "gen_ai.response.model": "turnq-sim",
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(chat.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    expect(chat.attributes["turnq.llm.time_to_first_chunk_ms"]).toEqual(expect.any(Number));
    // Content capture is off by default.
    expect(chat.attributes["gen_ai.input.messages"]).toBeUndefined();
    expect(chat.attributes["gen_ai.output.messages"]).toBeUndefined();

    // The final append is one statement: its database span, straight under invoke_agent, no wrapper.
    expect(spans.filter((s) => s.name === "append_messages")).toEqual([]);
    const insert = one(spans, "INSERT messages");
    expect(parentOf(insert)).toBe(idOf(agent));
    expect(insert.kind).toBe(SpanKind.CLIENT);
    expect(insert.attributes["turnq.messages.count"]).toBe(2);
    // A hot statement is named, not spelled out: its SQL is constant and in packages/db.
    expect(insert.attributes["turnq.db.statement"]).toBe("finish_turn");
    expect(insert.attributes["db.query.text"]).toBeUndefined();

    // Every span of the turn, API and worker side, names the session.
    const missing = spans.filter((s) => s.attributes["gen_ai.conversation.id"] !== sessionId).map((s) => s.name);
    expect(missing).toEqual([]);
    // Nothing else is in the trace without a parent inside it: one tree.
    const ids = new Set(spans.map(idOf));
    expect(spans.filter((s) => !parentOf(s) || !ids.has(parentOf(s)!)).map((s) => s.name)).toEqual([server.name]);
  });

  it("gives a statement drizzle built its parameterised SQL text, and a named hot statement its name only", async () => {
    const inserts = () => tracing.spans().filter((x) => x.name === "INSERT sessions");
    const before = inserts().length;
    const res = await post(api.url, "/v1/sessions", { metadata: { who: "planted-value-42" } });
    expect(res.status).toBe(201);
    const span = await vi.waitFor(() => inserts()[before] ?? Promise.reject(new Error("not yet")), { timeout: 10_000, interval: 50 });
    const text = String(span.attributes["db.query.text"]);
    expect(text).toMatch(/^insert into "sessions"/);
    expect(text).toMatch(/\$1/);
    expect(text).not.toContain("planted-value-42");
    expect(span.attributes["turnq.db.statement"]).toBeUndefined();
  });

  it("records a turn retried after an LLM 500 as two attempts in the same trace, the first failed", async () => {
    const sessionId = await createSession(api.url);
    const submitted = await post(api.url, `/v1/sessions/${sessionId}/turns`, { input: "flaky [[sim error=500 fail-first=1]]" });
    const traceId: string = submitted.body.traceId;
    const done = await waitTurn(api.url, submitted.body.id);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });

    const spans = await vi.waitFor(() => {
      const s = spansOf(traceId);
      if (s.filter((x) => x.name === "process sessions").length < 2) throw new Error("not yet");
      return s;
    }, { timeout: 30_000, interval: 50 });
    const producer = one(spans, "send sessions");
    const attempts = spans.filter((s) => s.name === "process sessions").sort((a, b) => Number(a.attributes["turnq.turn.attempt"]) - Number(b.attributes["turnq.turn.attempt"]));
    expect(attempts.map((s) => [s.attributes["turnq.turn.attempt"], s.attributes["turnq.turn.outcome"], parentOf(s)])).toEqual([
      [1, "retry", idOf(producer)],
      [2, "completed", idOf(producer)],
    ]);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]!.attributes["turnq.error.code"]).toBe("llm_unavailable");
    expect(attempts[1]!.status.code).toBe(SpanStatusCode.UNSET);

    const chats = spans.filter((s) => s.name === "chat turnq-sim");
    expect(chats).toHaveLength(2);
    const failedChat = chats.find((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failedChat?.attributes["error.type"]).toBe("llm_unavailable");
    expect(spans.every((s) => s.attributes["gen_ai.conversation.id"] === sessionId)).toBe(true);
  });

  it("traces a tool-using turn: parallel execute_tool siblings between two chat calls", async () => {
    const agent = await post(api.url, "/v1/agents", { name: "clock", tools: ["current_time"] });
    const sessionId = (await post(api.url, "/v1/sessions", { agentId: agent.body.id })).body.id as string;
    const submitted = await post(api.url, `/v1/sessions/${sessionId}/turns`, { input: "time? [[sim tools=current_time,current_time]]" });
    const traceId: string = submitted.body.traceId;
    expect((await waitTurn(api.url, submitted.body.id)).status).toBe("completed");
    const spans = await vi.waitFor(() => {
      const s = spansOf(traceId);
      if (s.filter((x) => x.name.startsWith("chat ")).length < 2 || !s.some((x) => x.name === "process sessions")) throw new Error("not yet");
      return s;
    }, { timeout: 30_000, interval: 50 });
    const invoke = one(spans, "invoke_agent clock");
    const tools = spans.filter((s) => s.name === "execute_tool current_time");
    expect(tools).toHaveLength(2);
    for (const t of tools) {
      expect(parentOf(t)).toBe(idOf(invoke));
      expect(t.attributes["gen_ai.operation.name"]).toBe("execute_tool");
      expect(t.attributes["gen_ai.tool.name"]).toBe("current_time");
      expect(t.attributes["gen_ai.tool.call.id"]).toMatch(/^call_/);
    }
    const chats = spans.filter((s) => s.name.startsWith("chat ")).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    expect(chats).toHaveLength(2);
    // Tools ran after the first model call and before the second.
    const end = (s: Span) => s.endTime[0] * 1e9 + s.endTime[1];
    const start = (s: Span) => s.startTime[0] * 1e9 + s.startTime[1];
    for (const t of tools) {
      expect(start(t)).toBeGreaterThanOrEqual(end(chats[0]!));
      expect(end(t)).toBeLessThanOrEqual(start(chats[1]!));
    }
    for (const s of spans) {
      expect(s.attributes["gen_ai.conversation.id"], s.name).toBe(sessionId);
    }
  });
});

function hrMs(t: [number, number]): number {
  return t[0] * 1_000 + t[1] / 1e6;
}
