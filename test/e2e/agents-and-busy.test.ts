import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeldTool, type HeldTool } from "../support/held-tool.ts";
import { createSession, get, post, waitTurn, withApiKey } from "../support/http.ts";
import { readSse } from "../support/sse.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("agents, cancel and busy policies through the API", () => {
  let sys: TestSystem;
  let tool: HeldTool;
  beforeAll(async () => {
    tool = await startHeldTool();
    sys = await startSystem({
      workers: 1,
      workerEnv: { LLM_PRICES: JSON.stringify({ "turnq-sim": { input: 1, output: 2 } }), HTTP_TOOLS_ALLOW_PRIVATE: "true" },
    });
  });
  afterAll(async () => {
    await sys?.stop();
    await tool?.close();
  });

  /**
   * A session whose turn `input [[sim tool=<name>]]` stays in progress until `tool.release(name)`:
   * the test decides when it ends, rather than racing a fixed delay on a busy machine.
   */
  async function heldSession(name: string): Promise<string> {
    const agent = await post(sys.api.url, "/v1/agents", {
      name: "held",
      httpTools: [{ name, description: "answers when released", url: `${tool.url}/${name}`, timeoutMs: 300_000 }],
    });
    expect(agent.status).toBe(201);
    return (await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id })).body.id as string;
  }

  it("versions an agent on update and never shows HTTP tool header values", async () => {
    const base = sys.api.url;
    const created = await post(base, "/v1/agents", {
      name: "helper",
      systemPrompt: "Be brief.",
      tools: ["current_time"],
      httpTools: [{ name: "lookup", description: "d", url: "https://example.com/x", headers: { authorization: "Bearer secret-1" } }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, name: "helper", tools: ["current_time"] });
    expect(created.body.httpTools[0].headerNames).toEqual(["authorization"]);
    expect(JSON.stringify(created.body)).not.toContain("secret-1");

    const updated = await fetch(`${base}/v1/agents/${created.body.id}`, {
      method: "PUT",
      headers: withApiKey(base, { "content-type": "application/json" }),
      body: JSON.stringify({ name: "helper", systemPrompt: "Be thorough." }),
    }).then((r) => r.json() as Promise<any>);
    expect(updated).toMatchObject({ id: created.body.id, version: 2, systemPrompt: "Be thorough." });
    expect((await get(base, `/v1/agents/${created.body.id}?version=1`)).body.systemPrompt).toBe("Be brief.");
    expect((await get(base, `/v1/agents/${created.body.id}`)).body.version).toBe(2);

    const session = await post(base, "/v1/sessions", { agentId: created.body.id });
    expect(session.status).toBe(201);
    expect(session.body.agentId).toBe(created.body.id);
    const bad = await post(base, "/v1/sessions", { agentId: "agt_00000000000000000000000000" });
    expect(bad.status).toBe(422);
  });

  it("cancels a queued turn at once, idempotently, and reports queue positions", async () => {
    const base = sys.api.url;
    const sessionId = await heldSession("hold_first");
    const first = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "hold [[sim tool=hold_first]]" });
    const second = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "second" });
    const third = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "third" });
    const thirdState = await get(base, `/v1/turns/${third.body.id}`);
    expect(thirdState.body.queuePosition).toBe(2);

    const cancelled = await post(base, `/v1/turns/${second.body.id}/cancel`, "");
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe("cancelled");
    expect((await post(base, `/v1/turns/${second.body.id}/cancel`, "")).body.status).toBe("cancelled");

    tool.release("hold_first");
    expect((await waitTurn(base, first.body.id)).status).toBe("completed");
    expect((await waitTurn(base, third.body.id)).status).toBe("completed");
    const log = await get(base, `/v1/sessions/${sessionId}/messages`);
    // The cancelled turn left nothing in the log.
    expect(log.body.data.filter((m: any) => m.turnId === second.body.id || m.content.text?.startsWith("second"))).toEqual([]);
  });

  it("rejects a turn with onBusy reject while the session has one in progress, naming it", async () => {
    const base = sys.api.url;
    const sessionId = await heldSession("hold_busy");
    const running = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "busy [[sim tool=hold_busy]]" });
    const refused = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "me too", onBusy: "reject" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "session_busy", turnId: running.body.id });
    tool.release("hold_busy");
    expect((await waitTurn(base, running.body.id)).status).toBe("completed");
    const accepted = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "now", onBusy: "reject" });
    expect(accepted.status).toBe(202);
    expect((await waitTurn(base, accepted.body.id)).status).toBe("completed");
  });

  it("interrupts the running turn and skips queued ones with onBusy interrupt, then runs the new turn", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const running = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "long [[sim words=300 delay=6000 first=50]]" });
    const queued = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "queued" });
    await readSse(`${base}/v1/turns/${running.body.id}/events`, { until: (e) => e.event === "message.delta" });
    const urgent = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "urgent", onBusy: "interrupt" });
    expect(urgent.status).toBe(202);
    expect((await waitTurn(base, running.body.id)).status).toBe("cancelled");
    expect((await get(base, `/v1/turns/${queued.body.id}`)).body.status).toBe("cancelled");
    const done = await waitTurn(base, urgent.body.id);
    expect(done.status).toBe("completed");
    const log = (await get(base, `/v1/sessions/${sessionId}/messages`)).body.data;
    expect(log.map((m: any) => [m.role, m.turnId])).toEqual([
      ["user", running.body.id],
      ["assistant", running.body.id],
      ["user", urgent.body.id],
      ["assistant", urgent.body.id],
    ]);
  });

  it("accepts exactly one of ten concurrent submits with onBusy reject on an idle session", async () => {
    const base = sys.api.url;
    // The accepted turn stays in progress until released, so every other submit meets it.
    const sessionId = await heldSession("hold_race");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(base, `/v1/sessions/${sessionId}/turns`, { input: `race ${i} [[sim tool=hold_race]]`, onBusy: "reject" })),
    );
    const accepted = results.filter((r) => r.status === 202);
    expect(accepted).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.turnId === accepted[0]!.body.id)).toBe(true);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    tool.release("hold_race");
    expect((await waitTurn(base, accepted[0]!.body.id)).status).toBe("completed");
  });

  it("stops a session's turns with token_budget_exhausted once its budget is spent, and reports usage", async () => {
    const base = sys.api.url;
    const session = await post(base, "/v1/sessions", { tokenBudget: 30 });
    expect(session.body.tokenBudget).toBe(30);
    const first = await waitTurn(base, (await post(base, `/v1/sessions/${session.body.id}/turns`, { input: "spend [[sim words=40]]" })).body.id);
    expect(first.status).toBe("completed");
    expect(first.usage.inputTokens + first.usage.outputTokens).toBeGreaterThanOrEqual(30);
    const after = (await get(base, `/v1/sessions/${session.body.id}`)).body;
    expect(after.tokensUsed).toBe(first.usage.inputTokens + first.usage.outputTokens);
    // Priced at 1 $ per million input and 2 $ per million output tokens (LLM_PRICES of this system).
    const expected = (first.usage.inputTokens * 1 + first.usage.outputTokens * 2) / 1_000_000;
    expect(first.usage.costUsd).toBeCloseTo(expected, 9);
    expect(after.costUsd).toBeCloseTo(expected, 9);
    const second = await waitTurn(base, (await post(base, `/v1/sessions/${session.body.id}/turns`, { input: "more" })).body.id);
    expect(second).toMatchObject({ status: "failed", error: { code: "token_budget_exhausted" } });
  });
});
