import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

/** Largest number of simulator requests that were open at the same moment. */
function maxOverlap(spans: { startedAt: number; endedAt: number | undefined }[]): number {
  const points = spans.flatMap((s) => [
    [s.startedAt, 1],
    [s.endedAt ?? Infinity, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (open += d));
  return max;
}

describe("the fleet-wide provider limit", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 2, simulator: { latencyMs: 250 }, workerEnv: { LLM_MAX_IN_FLIGHT: "3" } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("holds across two worker processes: never more than 3 LLM requests in flight", async () => {
    const base = sys.api.url;
    const sessions = await Promise.all(Array.from({ length: 15 }, () => createSession(base)));
    const turns = await Promise.all(sessions.map(async (s, i) => (await post(base, `/v1/sessions/${s}/turns`, { input: `q${i}` })).body.id));
    const done = await Promise.all(turns.map((id) => waitTurn(base, id, 60)));
    expect(done.every((t) => t.status === "completed")).toBe(true);
    const calls = sys.sim.requests.filter((r) => r.path.endsWith("/chat/completions"));
    // Every turn's call is counted (a repeated call, allowed by design, counts against the limit too).
    const asked = new Set(calls.map((c) => (c.messages as { content: string }[]).at(-1)!.content));
    expect(asked).toEqual(new Set(sessions.map((_, i) => `q${i}`)));
    const overlap = maxOverlap(calls);
    expect(overlap).toBeLessThanOrEqual(3);
    expect(overlap).toBeGreaterThanOrEqual(2);
  });
});
