import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeldTool, type HeldTool } from "../support/held-tool.ts";
import { get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a worker killed while a tool runs", () => {
  let sys: TestSystem;
  // The tool holds each call until the worker has been killed: the kill lands mid-call however
  // slow the machine is. Then it answers at once.
  let tool: HeldTool;

  beforeAll(async () => {
    tool = await startHeldTool();
    sys = await startSystem({ workers: 1, workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true" } });
  });
  afterAll(async () => {
    await sys?.stop();
    await tool?.close();
  });

  async function runAndKill(decl: { name: string; idempotent: boolean }) {
    const agent = await post(sys.api.url, "/v1/agents", {
      name: "effects",
      httpTools: [{ name: decl.name, description: "side effect", url: `${tool.url}/${decl.name}`, idempotent: decl.idempotent }],
    });
    const sessionId = (await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id })).body.id;
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: `do it [[sim tool=${decl.name}]]` });
    await expect.poll(() => tool.calls(decl.name).length, { timeout: 60_000, interval: 20 }).toBe(1);
    await sys.workers.at(-1)!.stop("SIGKILL");
    tool.release(decl.name);
    await sys.startWorker();
    const done = await waitTurn(sys.api.url, turn.body.id, 90);
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    return { done, log, calls: tool.calls(decl.name) };
  }

  it("does not run a non-idempotent tool again, and tells the model its outcome is unknown", async () => {
    const { done, log, calls } = await runAndKill({ name: "charge_card", idempotent: false });
    expect(done.status).toBe("completed");
    expect(calls).toHaveLength(1);
    expect(log.map((m: any) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(log[2].content.text).toMatch(/Outcome unknown/);
    expect(log[2].content.toolCallId).toBe(log[1].content.toolCalls[0].id);
  });

  it("re-runs an idempotent tool with the same idempotency key", async () => {
    const { done, log, calls } = await runAndKill({ name: "refresh_cache", idempotent: true });
    expect(done.status).toBe("completed");
    // Run again after the kill; an idempotent call may run more than twice (a later redelivery
    // would run it again), always under the same key.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set([calls[0]!.key]));
    expect(log[2].content.text).toMatch(/done/);
  });
});
