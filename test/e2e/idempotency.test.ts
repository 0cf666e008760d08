import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("Idempotency-Key on turn submission", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 1 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const turnCount = async (sessionId: string) =>
    (await sys.db.sql<{ n: number }[]>`select count(*)::int as n from turns where session_id = ${sessionId}`)[0]!.n;

  it("returns the same turn when the same key and body are sent twice", async () => {
    const sessionId = await createSession(sys.api.url);
    const first = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "once" }, { "idempotency-key": "k-1" });
    const second = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "once" }, { "idempotency-key": "k-1" });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await turnCount(sessionId)).toBe(1);
  });

  it("creates exactly one turn when twenty requests with one key race", async () => {
    const sessionId = await createSession(sys.api.url);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "raced" }, { "idempotency-key": "race-key" }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await turnCount(sessionId)).toBe(1);
  });

  it("refuses the same key with a different body and stores nothing", async () => {
    const sessionId = await createSession(sys.api.url);
    const first = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "original" }, { "idempotency-key": "k-2" });
    const reused = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "different" }, { "idempotency-key": "k-2" });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    expect(reused.body).toMatchObject({ code: "idempotency_key_reused", status: 422, turnId: first.body.id });
    expect(await turnCount(sessionId)).toBe(1);
  });

  it("scopes keys to the session: the same key in another session is a new turn", async () => {
    const a = await createSession(sys.api.url);
    const b = await createSession(sys.api.url);
    const ta = await post(sys.api.url, `/v1/sessions/${a}/turns`, { input: "x" }, { "idempotency-key": "shared" });
    const tb = await post(sys.api.url, `/v1/sessions/${b}/turns`, { input: "x" }, { "idempotency-key": "shared" });
    expect(tb.body.id).not.toBe(ta.body.id);
  });
});
