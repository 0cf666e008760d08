import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeldTool, type HeldTool } from "../support/held-tool.ts";
import { createSession, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("fairness between sessions when every slot is taken", () => {
  let sys: TestSystem;
  let tool: HeldTool;
  beforeAll(async () => {
    tool = await startHeldTool();
    // One slot: a chatty session holds it, so it must hand it back after each slice of turns.
    sys = await startSystem({ workers: 1, concurrency: 1, workerEnv: { TURNS_PER_SLICE: "2", HTTP_TOOLS_ALLOW_PRIVATE: "true" } });
  });
  afterAll(async () => {
    await sys?.stop();
    await tool?.close();
  });

  it("runs another session's turn before a chatty session's backlog is done", async () => {
    const base = sys.api.url;
    const agent = await post(base, "/v1/agents", {
      name: "chatty",
      httpTools: [{ name: "hold", description: "answers when released", url: `${tool.url}/hold`, timeoutMs: 300_000 }],
    });
    const chatty = (await post(base, "/v1/sessions", { agentId: agent.body.id })).body.id as string;
    // The chatty session's first turn holds the only slot until the whole backlog and the other
    // session's turn are queued: the test does not race its own turns.
    const ids: string[] = [(await post(base, `/v1/sessions/${chatty}/turns`, { input: "chat 0 [[sim tool=hold]]" })).body.id];
    await expect.poll(() => tool.calls("hold").length, { timeout: 60_000, interval: 20 }).toBe(1);
    for (let i = 1; i < 10; i++) ids.push((await post(base, `/v1/sessions/${chatty}/turns`, { input: `chat ${i} [[sim delay=100]]` })).body.id);
    const other = await createSession(base);
    const lone = (await post(base, `/v1/sessions/${other}/turns`, { input: "me too" })).body.id as string;
    tool.release("hold");

    const loneDone = await waitTurn(base, lone, 120);
    const chattyDone = await Promise.all(ids.map((id) => waitTurn(base, id, 120)));
    expect([loneDone, ...chattyDone].every((t) => t.status === "completed")).toBe(true);
    // The lone turn did not wait for the whole backlog to drain: it ran after the chatty
    // session's first slice (2 turns), before the other 8.
    const finishedAfter = chattyDone.filter((t) => t.finishedAt > loneDone.finishedAt).length;
    expect(finishedAfter).toBeGreaterThanOrEqual(4);
  });
});
