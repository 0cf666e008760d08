import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeldTool, type HeldTool } from "../support/held-tool.ts";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("sessions do not wait for each other", () => {
  let sys: TestSystem;
  let tool: HeldTool;
  beforeAll(async () => {
    tool = await startHeldTool();
    sys = await startSystem({ workers: 1, concurrency: 20, workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true" } });
  });
  afterAll(async () => {
    await sys?.stop();
    await tool?.close();
  });

  it("finishes other sessions' turns while one session's long turn is still running", async () => {
    const base = sys.api.url;
    // The long turn waits on a tool that answers only when released (never, here: it is cancelled),
    // so it cannot finish while the others run, however busy the machine.
    const agent = await post(base, "/v1/agents", {
      name: "holder",
      // Idempotent: should the turn be redelivered, it calls the tool again and is held again.
      httpTools: [{ name: "hold", description: "answers when released", url: `${tool.url}/hold`, timeoutMs: 300_000, idempotent: true }],
    });
    expect(agent.status).toBe(201);
    const slowSession = (await post(base, "/v1/sessions", { agentId: agent.body.id })).body.id as string;
    const slow = await post(base, `/v1/sessions/${slowSession}/turns`, { input: "slow [[sim tool=hold]]" });
    const behindSlow = await post(base, `/v1/sessions/${slowSession}/turns`, { input: "after the slow one" });
    // The slow turn is running once its tool call has reached the tool.
    await expect.poll(() => tool.calls("hold").length, { timeout: 60_000, interval: 50 }).toBe(1);

    const others = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const sessionId = await createSession(base);
        return (await post(base, `/v1/sessions/${sessionId}/turns`, { input: `other ${i}` })).body.id as string;
      }),
    );
    const done = await Promise.all(others.map((id) => waitTurn(base, id, 120)));
    expect(done.every((t) => t.status === "completed")).toBe(true);

    // All 40 finished while the slow turn (and the turn queued behind it) had not.
    expect((await get(base, `/v1/turns/${slow.body.id}`)).body.status).toBe("running");
    expect((await get(base, `/v1/turns/${behindSlow.body.id}`)).body.status).toBe("queued");
    // Cancelling the long turn lets the one queued behind it run.
    expect((await post(base, `/v1/turns/${slow.body.id}/cancel`, "")).status).toBe(202);
    expect((await waitTurn(base, slow.body.id, 60)).status).toBe("cancelled");
    expect((await waitTurn(base, behindSlow.body.id, 60)).status).toBe("completed");
  });
});
