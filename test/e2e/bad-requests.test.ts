import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

interface Case {
  name: string;
  method: string;
  path: (sessionId: string) => string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code: string;
}

const json = { "content-type": "application/json" };
const big = "x".repeat(256 * 1024 + 1);

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
];

describe("bad requests", () => {
  let sys: TestSystem;
  let sessionId: string;
  beforeAll(async () => {
    sys = await startSystem({ workers: 0 });
    sessionId = await createSession(sys.api.url);
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const snapshot = async () =>
    (await sys.db.sql`select (select count(*) from sessions) s, (select count(*) from turns) t, (select count(*) from messages) m`)[0];

  it.each(cases)("$name -> $status $code, nothing stored", async (c) => {
    const before = await snapshot();
    const res = await fetch(sys.api.url + c.path(sessionId), {
      method: c.method,
      headers: c.headers ?? {},
      ...(c.body !== undefined ? { body: Buffer.from(c.body, "latin1") } : {}),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(c.status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(body).toMatchObject({ status: c.status, code: c.code, type: `urn:turnq:error:${c.code}` });
    expect(typeof body.detail).toBe("string");
    expect(await snapshot()).toEqual(before);
  });
});
