import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("sessions do not wait for each other", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 1, concurrency: 20 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("finishes other sessions' turns while one session's long turn is still running", async () => {
    const base = sys.api.url;
    const slowSession = await createSession(base);
    // Long enough that it cannot finish while the others run, however busy the machine; cancelled below.
    const slow = await post(base, `/v1/sessions/${slowSession}/turns`, { input: "slow [[sim delay=60000]]" });
    const behindSlow = await post(base, `/v1/sessions/${slowSession}/turns`, { input: "after the slow one" });
    await expect.poll(async () => (await get(base, `/v1/turns/${slow.body.id}`)).body.status, { timeout: 10_000 }).toBe("running");

    const others = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const sessionId = await createSession(base);
        return (await post(base, `/v1/sessions/${sessionId}/turns`, { input: `other ${i}` })).body.id as string;
      }),
    );
    const done = await Promise.all(others.map((id) => waitTurn(base, id, 30)));
    expect(done.every((t) => t.status === "completed")).toBe(true);

    // All 40 finished while the slow turn (and the turn queued behind it) had not.
    expect((await get(base, `/v1/turns/${slow.body.id}`)).body.status).toBe("running");
    expect((await get(base, `/v1/turns/${behindSlow.body.id}`)).body.status).toBe("queued");
    // Cancelling the long turn lets the one queued behind it run.
    expect((await post(base, `/v1/turns/${slow.body.id}/cancel`, "")).status).toBe(202);
    expect((await waitTurn(base, slow.body.id)).status).toBe("cancelled");
    expect((await waitTurn(base, behindSlow.body.id)).status).toBe("completed");
  });
});
