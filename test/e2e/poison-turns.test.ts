import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("turns that keep failing", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // One LLM attempt per call, two attempts per turn: failures surface quickly.
    sys = await startSystem({ workers: 1, workerEnv: { LLM_MAX_ATTEMPTS: "1", TURN_MAX_ATTEMPTS: "2" } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("marks a turn failed after its retries with a clear error, and the session moves on", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const poison = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "boom [[sim error=503]]" });
    const after = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "fine" });
    const failed = await waitTurn(base, poison.body.id, 60);
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(2);
    // It says it will not be tried again, and why the last attempt failed.
    expect(failed.error.code).toBe("turn_attempts_exhausted");
    expect(failed.error.message).toMatch(/^Gave up after 2 attempts; last error: .*503/);
    const next = await waitTurn(base, after.body.id, 60);
    expect(next.status).toBe("completed");
    // The failed turn left nothing in the log: the next turn saw only itself.
    expect(next.output).toBe("Echo: fine (saw 2 messages)");
    expect(sys.sim.requests.filter((r) => (r.messages as any[]).at(-1)?.content?.startsWith?.("boom"))).toHaveLength(2);
  });

  it("fails a turn the provider rejects at once, without retrying", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const t = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "bad [[sim error=400]]" });
    const done = await waitTurn(base, t.body.id, 30);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { code: "llm_rejected" } });
    expect((await get(base, `/v1/sessions/${sessionId}/messages`)).body.data).toEqual([]);
  });
});
