import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a turn through the whole system", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 1 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("is accepted with 202, answered by the LLM, and logged as user then assistant", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const submitted = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "hello there" });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ sessionId, status: "queued", position: 1 });
    expect(submitted.body.id).toMatch(/^turn_/);
    expect(submitted.headers.get("location")).toBe(`/v1/turns/${submitted.body.id}`);

    const done = await waitTurn(base, submitted.body.id);
    expect(done.status).toBe("completed");
    expect(done.output).toBe("Echo: hello there (saw 2 messages)");

    const log = await get(base, `/v1/sessions/${sessionId}/messages`);
    expect(log.body.data.map((m: any) => [m.seq, m.role, m.content.text])).toEqual([
      [1, "user", "hello there"],
      [2, "assistant", "Echo: hello there (saw 2 messages)"],
    ]);
  });

  it("answers a submit sent with Prefer: wait with the finished turn, in one request", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const done = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "all at once" }, { prefer: "wait=10" });
    expect(done.status).toBe(200);
    expect(done.headers.get("preference-applied")).toBe("wait=10");
    expect(done.body).toMatchObject({ sessionId, status: "completed", output: "Echo: all at once (saw 2 messages)", position: 1 });
    // Past its wait the submit still answers 202 with the turn as it is then.
    const slow = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "slow [[sim delay=3000]]" }, { prefer: "wait=1" });
    expect(slow.status).toBe(202);
    expect(slow.body.status).toMatch(/^(queued|running)$/);
    expect((await waitTurn(base, slow.body.id)).status).toBe("completed");
  });

  it("answers the wait for a turn with a long answer at once too (its notification leaves the text out)", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const started = Date.now();
    const done = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "long one [[sim words=4000]]" }, { prefer: "wait=20" });
    expect(done.status).toBe(200);
    expect(done.body.output.length).toBeGreaterThan(16_384);
    // Not the 5 s safety re-read: the waiter was told, then read the turn.
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it("answers Prefer: wait as soon as the turn finishes, not at the end of the wait", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const submitted = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "slow [[sim delay=300]]" });
    const started = Date.now();
    const r = await get(base, `/v1/turns/${submitted.body.id}`, { prefer: "wait=30" });
    expect(r.body.status).toBe("completed");
    expect(r.headers.get("preference-applied")).toBe("wait=30");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("returns the current state after the wait when the turn is still running", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const submitted = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "very slow [[sim delay=4000]]" });
    const r = await get(base, `/v1/turns/${submitted.body.id}`, { prefer: "wait=1" });
    expect(r.status).toBe(200);
    expect(["queued", "running"]).toContain(r.body.status);
    expect((await waitTurn(base, submitted.body.id)).status).toBe("completed");
  });
});

describe("readiness", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 2 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("reports Postgres, Redis and the live workers with their LLM breaker state", async () => {
    const r = await get(sys.api.url, "/readyz");
    expect(r.status).toBe(200);
    expect(r.body.checks).toEqual({ postgres: "ok", redis: "ok" });
    expect(r.body.workers).toMatchObject({ alive: 2, llmBreakerOpen: 0, llmConnectionsWarm: 2 });
    await sys.workers[0]!.stop("SIGTERM");
    await expect.poll(async () => (await get(sys.api.url, "/readyz")).body.workers.alive, { timeout: 30_000 }).toBe(1);
  });
});
