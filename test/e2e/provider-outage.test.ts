import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a provider outage", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({
      workers: 1,
      workerEnv: {
        LLM_MAX_ATTEMPTS: "1",
        LLM_BREAKER_FAILURES: "2",
        // Open long enough that the healthy turn below surely meets it open, however slow the machine.
        LLM_BREAKER_OPEN_MS: "15000",
        TURN_MAX_ATTEMPTS: "2",
      },
    });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("opens the breaker, shows it in readiness, and keeps waiting turns from burning their attempts", async () => {
    const base = sys.api.url;
    // Two sessions whose calls fail open the breaker (2 consecutive failures).
    const failing = await Promise.all(
      [0, 1].map(async (i) => (await post(base, `/v1/sessions/${await createSession(base)}/turns`, { input: `down ${i} [[sim error=503]]` })).body.id),
    );
    await expect.poll(async () => (await get(base, "/readyz")).body.workers.llmBreakerOpen, { timeout: 60_000, interval: 200 }).toBe(1);

    // A healthy turn submitted while the breaker is open is not failed: it waits, attempt refunded,
    // and completes once the breaker lets a trial call through.
    const healthy = await post(base, `/v1/sessions/${await createSession(base)}/turns`, { input: "fine" });
    const done = await waitTurn(base, healthy.body.id, 90);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(1);
    // It really met the open breaker: the worker put it back once, and the provider saw one call.
    const retries = sys.workers[0]!.output().split("\n").filter((l) => l.includes(healthy.body.id) && l.includes("turn will be retried"));
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(sys.sim.requests.filter((r) => (r.messages as any[]).at(-1)?.content === "fine")).toHaveLength(1);
    for (const id of failing) expect((await waitTurn(base, id, 90)).status).toBe("failed");
  });
});
