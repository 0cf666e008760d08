import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, withApiKey } from "../support/http.ts";
import { rawRequest, withRawApiKey } from "../support/raw-http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { tableSnapshot } from "../support/table-snapshot.ts";

interface Ids {
  turn: string;
  agent: string;
}

interface Case {
  name: string;
  method: string;
  path: (sessionId: string, ids: Ids) => string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code: string;
  /** For 422s: the path of the field the errors must name. */
  errorPath?: string;
}

const json = { "content-type": "application/json" };
const big = "x".repeat(256 * 1024 + 1);
/** `levels` arrays inside each other, as JSON text (no recursion needed to build or send it). */
const nested = (levels: number, inner = "1") => "[".repeat(levels) + inner + "]".repeat(levels);
const tool = (over: Record<string, unknown>) => ({
  name: "weather",
  description: "Weather for a city",
  url: "https://example.com/weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  ...over,
});
const agent = (over: Record<string, unknown> = {}, toolOver?: Record<string, unknown>) =>
  JSON.stringify({ name: "a", ...(toolOver ? { httpTools: [tool(toolOver)] } : {}), ...over });

const cases: Case[] = [
  { name: "malformed JSON", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input": "hi"', status: 400, code: "invalid_json" },
  { name: "not UTF-8", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input": "\xff"}', status: 400, code: "invalid_json" },
  { name: "wrong type for input", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input": 42}', status: 422, code: "validation_failed" },
  { name: "missing input", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: "{}", status: 422, code: "validation_failed" },
  { name: "unknown field", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input": "hi", "extra": 1}', status: 422, code: "validation_failed" },
  { name: "empty input", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input": "   "}', status: 422, code: "validation_failed" },
  { name: "body is an array", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '["hi"]', status: 422, code: "validation_failed" },
  { name: "input over 256 KiB", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: JSON.stringify({ input: big }), status: 413, code: "payload_too_large" },
  { name: "body over the request limit", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: JSON.stringify({ input: "y".repeat(600 * 1024) }), status: 413, code: "payload_too_large" },
  { name: "text/plain body", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: { "content-type": "text/plain" }, body: '{"input": "hi"}', status: 415, code: "unsupported_media_type" },
  { name: "no content type", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: {}, body: '{"input": "hi"}', status: 415, code: "unsupported_media_type" },
  { name: "unknown session", method: "POST", path: () => `/v1/sessions/ses_00000000000000000000000000/turns`, headers: json, body: '{"input": "hi"}', status: 404, code: "not_found" },
  { name: "malformed session id", method: "POST", path: () => `/v1/sessions/nope/turns`, headers: json, body: '{"input": "hi"}', status: 404, code: "not_found" },
  { name: "Idempotency-Key too long", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: { ...json, "idempotency-key": "k".repeat(256) }, body: '{"input": "hi"}', status: 400, code: "invalid_request" },
  { name: "session metadata not an object", method: "POST", path: () => `/v1/sessions`, headers: json, body: '{"metadata": [1]}', status: 422, code: "validation_failed" },
  { name: "session with unknown field", method: "POST", path: () => `/v1/sessions`, headers: json, body: '{"tenant": "x"}', status: 422, code: "validation_failed" },
  { name: "unknown turn", method: "GET", path: () => `/v1/turns/turn_00000000000000000000000000`, status: 404, code: "not_found" },
  { name: "messages of unknown session", method: "GET", path: () => `/v1/sessions/ses_00000000000000000000000000/messages`, status: 404, code: "not_found" },
  { name: "negative after", method: "GET", path: (s) => `/v1/sessions/${s}/messages?after=-1`, status: 400, code: "invalid_request" },
  { name: "limit too large", method: "GET", path: (s) => `/v1/sessions/${s}/messages?limit=100000`, status: 400, code: "invalid_request" },
  { name: "unknown route", method: "GET", path: () => `/v2/nothing`, status: 404, code: "not_found" },

  // JSON nested deeper than limits.jsonDepth (64) is refused before any schema recurses into it.
  { name: "session metadata nested 10,000 deep", method: "POST", path: () => `/v1/sessions`, headers: json, body: `{"metadata":{"a":${nested(10_000)}}}`, status: 400, code: "json_too_deep" },
  { name: "HTTP tool parameters nested 10,000 deep", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, {}).replace('"required"', `"deep":${nested(10_000)},"required"`), status: 400, code: "json_too_deep" },
  { name: "turn body one level over the bound", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: `{"input":"hi","x":${nested(64)}}`, status: 400, code: "json_too_deep" },

  // Text Postgres cannot store (NUL, unpaired surrogates), wherever it sits in a body.
  { name: "NUL in turn input", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input":"a\\u0000b"}', status: 422, code: "unsupported_character" },
  { name: "lone surrogate in turn input", method: "POST", path: (s) => `/v1/sessions/${s}/turns`, headers: json, body: '{"input":"a\\ud800b"}', status: 422, code: "unsupported_character" },
  { name: "NUL in a metadata key", method: "POST", path: () => `/v1/sessions`, headers: json, body: '{"metadata":{"k\\u0000":1}}', status: 422, code: "unsupported_character" },
  { name: "lone low surrogate deep in metadata", method: "POST", path: () => `/v1/sessions`, headers: json, body: '{"metadata":{"a":[{"b":"x\\udc00"}]}}', status: 422, code: "unsupported_character" },
  { name: "NUL in an agent name", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({ name: "a\u0000" }), status: 422, code: "unsupported_character" },
  { name: "lone surrogate in a system prompt", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({ systemPrompt: "hi \ud83d" }), status: 422, code: "unsupported_character" },

  { name: "a __proto__ key, which would be dropped", method: "POST", path: () => `/v1/sessions`, headers: json, body: '{"metadata":{"__proto__":{"a":1}}}', status: 422, code: "validation_failed", errorPath: "metadata.__proto__" },

  // Agents are checked completely: what is stored can run.
  { name: "agent naming an unknown tool", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({ tools: ["current_time", "send_email"] }), status: 422, code: "validation_failed", errorPath: "tools.1" },
  { name: "HTTP tool parameters not an object schema", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { parameters: { type: "string" } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.parameters" },
  { name: "HTTP tool parameters not a JSON Schema", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { parameters: { type: "object", properties: { city: { type: "strin" } } } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.parameters" },
  { name: "HTTP tool parameters with a $ref to nowhere", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { parameters: { type: "object", properties: { c: { $ref: "#/$defs/missing" } } } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.parameters" },
  { name: "HTTP tool parameters with an invalid pattern", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { parameters: { type: "object", properties: { c: { type: "string", pattern: "(" } } } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.parameters" },
  { name: "HTTP tool parameters in another JSON Schema draft", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { parameters: { $schema: "http://json-schema.org/draft-04/schema#", type: "object" } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.parameters" },
  { name: "HTTP tool header value with a non-ASCII placeholder", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { headers: { authorization: "Bearer sk-\u2026" } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.headers.authorization" },
  { name: "HTTP tool header the client owns", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { headers: { Host: "example.com" } }), status: 422, code: "validation_failed", errorPath: "httpTools.0.headers.Host" },
  { name: "HTTP tool URL with credentials", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({}, { url: "https://user:pw@example.com/x" }), status: 422, code: "validation_failed", errorPath: "httpTools.0.url" },
  { name: "agent limit out of range", method: "POST", path: () => `/v1/agents`, headers: json, body: agent({ limits: { maxIterations: 0 } }), status: 422, code: "validation_failed", errorPath: "limits.maxIterations" },
  { name: "new agent version naming an unknown tool", method: "PUT", path: (_s, ids) => `/v1/agents/${ids.agent}`, headers: json, body: agent({ tools: ["nope"] }), status: 422, code: "validation_failed", errorPath: "tools.0" },

  // Last-Event-ID parts out of range are refused before the stream starts.
  { name: "Last-Event-ID past 2^64", method: "GET", path: (s) => `/v1/sessions/${s}/events`, headers: { "last-event-id": "18446744073709551616-0" }, status: 400, code: "invalid_request" },
  { name: "Last-Event-ID seq past 2^53", method: "GET", path: (_s, ids) => `/v1/turns/${ids.turn}/events`, headers: { "last-event-id": "1-0~9007199254740993" }, status: 400, code: "invalid_request" },
  { name: "Last-Event-ID with an event index of five digits", method: "GET", path: (s) => `/v1/sessions/${s}/events`, headers: { "last-event-id": "1-0.10000~1" }, status: 400, code: "invalid_request" },
  { name: "after= sequence part past 2^64", method: "GET", path: (s) => `/v1/sessions/${s}/events?after=1-99999999999999999999`, status: 400, code: "invalid_request" },
];

/** Requests Node's HTTP parser or the adapter refuses before the app sees them, sent as raw bytes. */
const rawCases: { name: string; request: (sessionId: string) => string; status: number; code: string }[] = [
  { name: "a 64 KiB header", request: () => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(64 * 1024)}\r\n\r\n`, status: 431, code: "headers_too_large" },
  {
    name: "malformed chunked encoding",
    request: (s) => `POST /v1/sessions/${s}/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{"input":"hi"}\r\n0\r\n\r\n`,
    status: 400,
    code: "invalid_request",
  },
  {
    name: "chunk data longer than its size",
    request: (s) => `POST /v1/sessions/${s}/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"input":"hi"}\r\n0\r\n\r\n`,
    status: 400,
    code: "invalid_request",
  },
  {
    // The client stops sending: HTTP_REQUEST_TIMEOUT_MS (2 s here) ends the wait, not Node's 5 minutes.
    name: "a body that never arrives in full",
    request: (s) => `POST /v1/sessions/${s}/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":`,
    status: 408,
    code: "request_timeout",
  },
  { name: "a control byte in the path", request: () => `GET /v1/ses\x01sions HTTP/1.1\r\nHost: x\r\n\r\n`, status: 400, code: "invalid_request" },
  { name: "a space in the Host header", request: () => `GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`, status: 400, code: "invalid_request" },
  { name: "a backslash in the path", request: () => `GET /v1\\sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, status: 400, code: "invalid_request" },
  { name: "not HTTP at all", request: () => `\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n`, status: 400, code: "invalid_request" },
];

describe("bad requests", () => {
  let sys: TestSystem;
  let sessionId: string;
  let ids: Ids;
  beforeAll(async () => {
    sys = await startSystem({ workers: 0, apiEnv: { HTTP_REQUEST_TIMEOUT_MS: "2000" } });
    sessionId = await createSession(sys.api.url);
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "hi" });
    const created = await post(sys.api.url, "/v1/agents", JSON.parse(agent({ tools: ["current_time"] }, {})));
    expect([turn.status, created.status]).toEqual([202, 201]);
    ids = { turn: turn.body.id, agent: created.body.id };
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const snapshot = () => tableSnapshot(sys.db);

  it.each(cases)("$name -> $status $code, nothing stored", async (c) => {
    const before = await snapshot();
    const res = await fetch(sys.api.url + c.path(sessionId, ids), {
      method: c.method,
      headers: withApiKey(sys.api.url, c.headers ?? {}),
      // latin1 keeps the raw bytes of the not-UTF-8 case; text beyond latin1 goes as UTF-8.
      ...(c.body !== undefined ? { body: Buffer.from(c.body, /[^\x00-\xff]/.test(c.body) ? "utf8" : "latin1") } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(c.status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(body).toMatchObject({ status: c.status, code: c.code, type: `urn:turnq:error:${c.code}` });
    expect(typeof body.detail).toBe("string");
    if (c.errorPath) expect((body.errors as { path: string }[]).map((e) => e.path)).toContain(c.errorPath);
    expect(await snapshot()).toEqual(before);
  });

  it.each(rawCases)("$name -> $status $code in problem+json, nothing stored", async (c) => {
    const before = await snapshot();
    const res = await rawRequest(sys.api.url, Buffer.from(withRawApiKey(c.request(sessionId), sys.tenant.key), "latin1"));
    expect(res.status, res.body).toBe(c.status);
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(res.body)).toMatchObject({ status: c.status, code: c.code, type: `urn:turnq:error:${c.code}` });
    expect(await snapshot()).toEqual(before);
  });

  it("accepts JSON nested exactly to the bound, and an agent whose tools all exist", async () => {
    // The body is depth 1, metadata 2, so 62 more arrays reach 64.
    const session = await post(sys.api.url, "/v1/sessions", `{"metadata":{"a":${nested(62)}}}`);
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { unit: { enum: ["c", "f"] } },
      properties: { city: { type: "string", pattern: "^[A-Z]" }, unit: { $ref: "#/$defs/unit" } },
    };
    const created = await post(sys.api.url, "/v1/agents", JSON.parse(agent({ tools: ["current_time", "http_get"] }, { parameters: schema, headers: { authorization: "Bearer abc" } })));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.httpTools[0].parameters).toEqual(schema);
  });
});
