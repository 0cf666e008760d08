import { randomBytes } from "node:crypto";
import { fragmentLength } from "@turnq/core";
import { startOtlpReceiver, type OtlpReceiver } from "@turnq/telemetry/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn, withApiKey } from "../support/http.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import {
  chunk,
  lastUserText,
  sendJson,
  startScriptedProvider,
  streamedText,
  streamedToolCall,
  type ScriptedProvider,
  type ScriptedRequest,
} from "../support/scripted-provider.ts";
import { redisUrl } from "../support/services.ts";
import { readSse } from "../support/sse.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * A provider (and an HTTP tool endpoint) that echo the secrets they are sent in every error form they
 * can. No fragment of either secret as long as the scrubber's threshold may reach the worker's and the
 * API's output, Postgres, Redis, the SSE streams, or the exported spans.
 */

const LLM_KEY = "sk-proj-Q7vXb2LmN9pR4sT6wY8zA1cE3gH5jK0d";
const TOOL_SECRET = "tok_Zq4Wm8Rt2Yp6Ux1Vb3Nc5Ld7Kf9Hg0Js";

function fragmentsOf(secret: string, text: string): string[] {
  const n = fragmentLength(secret.length);
  const lower = text.toLowerCase();
  const found = new Set<string>();
  for (let i = 0; i + n <= secret.length; i++) {
    const frag = secret.slice(i, i + n).toLowerCase();
    if (lower.includes(frag)) found.add(frag);
  }
  return [...found];
}
/**
 * The turnq API key the test's requests carry, past its visible prefix (`tq_live_` + 8 characters,
 * which listings show by design): nothing of the rest may be kept anywhere either.
 */
let apiKeySecret = "";
const leaked = (text: string) => [...fragmentsOf(LLM_KEY, text), ...fragmentsOf(TOOL_SECRET, text), ...fragmentsOf(apiKeySecret, text)];

const bearer = (r: ScriptedRequest) => String(r.headers["authorization"] ?? "");

/** What the provider answers, chosen by the turn's input. */
function provider(r: ScriptedRequest, res: import("node:http").ServerResponse): void {
  // Warm-up: a 500 echoing the key, so the worker logs a failed warm-up.
  if (r.method === "GET") return sendJson(res, 500, { error: { message: `warm-up refused for ${bearer(r)}` } });
  if (r.path === "/tool") {
    const echo = String(r.headers["authorization"]);
    if (r.body?.mode === "error") {
      res.writeHead(500, { "content-type": "text/plain" });
      return void res.end(`tool failed; you sent authorization: ${echo} (and ${echo.slice(11, 30)})`);
    }
    return sendJson(res, 200, { ok: true, youSent: echo });
  }
  const messages = (r.body?.messages ?? []) as Array<{ role: string }>;
  if (messages.some((m) => m.role === "tool")) return streamedText(res, "done with the tool");
  const input = lastUserText(r.body);
  const cut = /^cut (\d+)$/.exec(input);
  if (cut) return sendJson(res, 400, { error: { message: `${"x".repeat(Number(cut[1]))}${bearer(r).slice(7)} is not allowed here` } });
  switch (input) {
    case "401":
      return sendJson(res, 401, { error: { message: `Incorrect API key provided: ${bearer(r).slice(7)}` } });
    case "500":
      res.writeHead(500, { "content-type": "text/plain" });
      return void res.end(`internal error handling request with authorization=${bearer(r)}`);
    case "partial":
      // As OpenAI does: the start and the end of the key, the middle starred out.
      return sendJson(res, 401, { error: { message: `Incorrect API key provided: ${bearer(r).slice(7, 17)}****${bearer(r).slice(-12)}` } });
    case "split":
      return sendJson(res, 400, { error: { message: `key ${bearer(r).slice(7, 27).toUpperCase()}\n${bearer(r).slice(27)} rejected` } });
    case "400 headers":
      return sendJson(res, 400, { error: { message: `bad request; headers: ${JSON.stringify(r.headers)}` } });
    case "mid-stream":
      res.writeHead(200, { "content-type": "text/event-stream" });
      return void res.end(
        chunk({ role: "assistant", content: "Partial answer " }) +
          `data: ${JSON.stringify({ error: { type: "invalid_request_error", message: `stream aborted for key ${bearer(r).slice(7)}` } })}\n\n`,
      );
    case "tool error":
      return streamedToolCall(res, "echo_tool", { mode: "error" });
    case "tool ok":
      return streamedToolCall(res, "echo_tool", { mode: "ok" });
    default:
      return streamedText(res, "fine");
  }
}

describe("a provider and a tool that echo their secrets", () => {
  let db: TestDatabase;
  let otlp: OtlpReceiver;
  let llm: ScriptedProvider;
  let worker: AppProcess;
  let api: AppProcess;
  let url = "";
  const prefix = `t${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    db = await createTestDatabase();
    llm = await startScriptedProvider(provider);
    const shared = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl(),
      TURNQ_PREFIX: prefix,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      TURNQ_ENCRYPTION_KEY: `k1:${randomBytes(32).toString("base64")}`,
    };
    worker = startProcess(
      "worker",
      "apps/worker/src/main.ts",
      {
        ...shared,
        OTEL_SERVICE_NAME: "turnq-worker",
        LLM_BASE_URL: llm.url,
        LLM_API_KEY: LLM_KEY,
        LLM_MAX_ATTEMPTS: "2",
        LLM_BREAKER_FAILURES: "1000",
        TURN_MAX_ATTEMPTS: "1",
        WORKER_CONCURRENCY: "20",
        HTTP_TOOLS_ALLOW_PRIVATE: "true",
        DB_POOL_MAX: "6",
        // Content capture on: even prompts and tool results on spans must come out clean.
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      },
      TELEMETRY_ARGS,
    );
    api = startProcess("api", "apps/api/src/main.ts", { ...shared, OTEL_SERVICE_NAME: "turnq-api", PORT: "0", DB_POOL_MAX: "4" }, TELEMETRY_ARGS);
    await worker.waitForLine(/turnq worker started/, 90_000);
    url = JSON.parse(await api.waitForLine(/turnq api listening/, 90_000)).url as string;
    const { key, prefix: visible } = await keyForApi(db.db, url);
    apiKeySecret = key.slice(visible.length);
  });

  afterAll(async () => {
    await Promise.all([worker?.stop("SIGKILL"), api?.stop("SIGKILL")]);
    await otlp?.close();
    await llm?.close();
    await db?.drop();
    await deleteKeys(redisUrl(), prefix).catch(() => 0);
  });

  it("leaves no fragment of any secret (LLM key, tool header, API key) in logs, Postgres, Redis, SSE or spans", async () => {
    const agent = await post(url, "/v1/agents", {
      name: "echo",
      systemPrompt: "Use the tool.",
      tools: [],
      httpTools: [
        {
          name: "echo_tool",
          description: "echoes",
          url: `${llm.origin}/tool`,
          parameters: { type: "object", properties: { mode: { type: "string" } } },
          headers: { authorization: `Bearer ${TOOL_SECRET}` },
        },
      ],
    });
    expect(agent.status).toBe(201);

    const inputs = ["401", "partial", "split", "500", "400 headers", "mid-stream", ...Array.from({ length: 201 + LLM_KEY.length }, (_, i) => `cut ${i}`)];
    const submit = async (input: string, agentId?: string) => {
      const session = agentId ? (await post(url, "/v1/sessions", { agentId })).body.id : await createSession(url);
      const r = await post(url, `/v1/sessions/${session}/turns`, { input });
      expect(r.status).toBe(202);
      return r.body.id as string;
    };
    const plain = await Promise.all(inputs.map((i) => submit(i)));
    const withTool = await Promise.all(["tool error", "tool ok"].map((i) => submit(i, agent.body.id)));
    const turns = await Promise.all([...plain, ...withTool].map((id) => waitTurn(url, id, 120)));

    // The secrets really went out and came back: the provider saw both and echoed them.
    expect(llm.requests.some((r) => bearer(r) === `Bearer ${LLM_KEY}`)).toBe(true);
    expect(llm.requests.some((r) => r.path === "/tool" && bearer(r) === `Bearer ${TOOL_SECRET}`)).toBe(true);
    expect(turns.slice(0, plain.length).map((t) => t.status)).toEqual(Array(plain.length).fill("failed"));
    expect(turns.slice(plain.length).map((t) => t.status)).toEqual(["completed", "completed"]);
    expect(turns.filter((t) => String(t.error?.message).includes("[redacted]")).length).toBeGreaterThan(inputs.length / 2);

    // API answers.
    expect(leaked(JSON.stringify(turns))).toEqual([]);
    const answers = await Promise.all(
      [...plain, ...withTool].slice(0, 5).map(async (id) => (await fetch(`${url}/v1/turns/${id}`, { headers: withApiKey(url) })).text()),
    );
    expect(leaked(answers.join("\n"))).toEqual([]);

    // SSE: every turn's stream, replayed from the start to its final status.
    const sse: string[] = [];
    for (let i = 0; i < turns.length; i += 25) {
      const batch = turns.slice(i, i + 25);
      const streams = await Promise.all(
        batch.map((t) => readSse(`${url}/v1/turns/${t.id}/events`, { until: (e) => e.event === "turn.status" && ["failed", "completed"].includes(e.data?.status), ms: 30_000 })),
      );
      sse.push(...streams.map((s) => JSON.stringify(s)));
    }
    expect(sse.join("\n")).toContain("Partial answer");
    expect(leaked(sse.join("\n"))).toEqual([]);

    // Postgres: every row of every table.
    const tables = await db.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public'`;
    const dump: string[] = [];
    for (const { tablename } of tables) {
      const rows = await db.sql.unsafe(`select row_to_json(t)::text as j from "${tablename}" t`);
      dump.push(...rows.map((r) => String(r["j"])));
    }
    expect(dump.join("\n")).toContain("tool failed; you sent authorization: [redacted]");
    // The agent's stored configuration holds the tool's header sealed (AES-256-GCM), never in the clear.
    // (jsonb's text form puts a space after the colon.)
    expect(dump.some((row) => /"sealedHeaders": ?"v1\.k1\./.test(row))).toBe(true);
    expect(leaked(dump.join("\n"))).toEqual([]);

    // Redis: every value under the test's prefix, whatever its type.
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const values: string[] = [];
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
        cursor = next;
        for (const key of keys) values.push(key, JSON.stringify(await dumpKey(redis, key)));
      } while (cursor !== "0");
    } finally {
      redis.disconnect();
    }
    expect(values.length).toBeGreaterThan(0);
    expect(leaked(values.join("\n"))).toEqual([]);

    // Spans: stop both processes so every span is flushed, then search the raw OTLP bytes too.
    await Promise.all([worker.stop("SIGTERM"), api.stop("SIGTERM")]);
    const spans = otlp.spans();
    expect(spans.some((s) => s.name.startsWith("chat ") && JSON.stringify(s).includes("[redacted]"))).toBe(true);
    expect(leaked(JSON.stringify(spans))).toEqual([]);
    expect(leaked(Buffer.concat(otlp.rawBodies()).toString("latin1"))).toEqual([]);

    // Logs: everything both processes wrote, including the failed warm-up's line.
    expect(worker.output()).toContain("could not warm LLM connections");
    expect(leaked(worker.output())).toEqual([]);
    expect(leaked(api.output())).toEqual([]);
  });
});

async function dumpKey(redis: Redis, key: string): Promise<unknown> {
  switch (await redis.type(key)) {
    case "string":
      return redis.get(key);
    case "hash":
      return redis.hgetall(key);
    case "list":
      return redis.lrange(key, 0, -1);
    case "set":
      return redis.smembers(key);
    case "zset":
      return redis.zrange(key, 0, -1, "WITHSCORES");
    case "stream":
      return redis.xrange(key, "-", "+");
    default:
      return null;
  }
}
