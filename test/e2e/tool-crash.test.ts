import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a worker killed while a tool runs", () => {
  let sys: TestSystem;
  let server: Server;
  let base: string;
  const received: { path: string; key: string | undefined }[] = [];

  beforeAll(async () => {
    // The tool answers after 2 s, long enough to kill the worker mid-call.
    server = createServer((req, res) => {
      received.push({ path: req.url ?? "", key: req.headers["idempotency-key"] as string | undefined });
      req.resume();
      const timer = setTimeout(() => res.end(JSON.stringify({ done: true })), 2_000);
      res.on("close", () => clearTimeout(timer));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sys = await startSystem({ workers: 1, workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true" } });
  });
  afterAll(async () => {
    await sys?.stop();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  async function runAndKill(tool: { name: string; idempotent: boolean }) {
    const agent = await post(sys.api.url, "/v1/agents", {
      name: "effects",
      httpTools: [{ name: tool.name, description: "side effect", url: `${base}/${tool.name}`, idempotent: tool.idempotent }],
    });
    const sessionId = (await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id })).body.id;
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: `do it [[sim tool=${tool.name}]]` });
    await expect.poll(() => received.filter((r) => r.path === `/${tool.name}`).length, { timeout: 15_000, interval: 20 }).toBe(1);
    await sys.workers.at(-1)!.stop("SIGKILL");
    await sys.startWorker();
    const done = await waitTurn(sys.api.url, turn.body.id, 60);
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    return { done, log, calls: received.filter((r) => r.path === `/${tool.name}`) };
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
    expect(calls).toHaveLength(2);
    expect(calls[0]!.key).toBe(calls[1]!.key);
    expect(log[2].content.text).toMatch(/done/);
  });
});
