import { countTokens } from "@turnq/llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a long session through the API", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 1 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("stays under the prompt budget by appending summaries, and keeps every message", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const turns = 14;
    for (let i = 0; i < turns; i++) {
      const t = await post(base, `/v1/sessions/${sessionId}/turns`, { input: `question ${i} [[sim words=500]]` });
      expect((await waitTurn(base, t.body.id, 60)).status).toBe("completed");
    }
    const log = (await get(base, `/v1/sessions/${sessionId}/messages?limit=500`)).body.data as any[];
    const summaries = log.filter((m) => m.role === "system" && m.content.summary);
    expect(summaries.length).toBeGreaterThan(0);
    // Each summary names a contiguous range of earlier entries; nothing was removed.
    let next = 1;
    for (const s of summaries) {
      expect(s.content.summary.fromSeq).toBe(next);
      expect(s.content.summary.toSeq).toBeLessThan(s.seq);
      next = s.content.summary.toSeq + 1;
    }
    expect(log.filter((m) => m.role === "user")).toHaveLength(turns);
    expect(log.filter((m) => m.role === "assistant")).toHaveLength(turns);
    expect(log.map((m) => m.seq)).toEqual(log.map((_, i) => i + 1));

    // The prompts the model saw stopped growing: the last one is far smaller than the whole history.
    const chats = sys.sim.requests.filter((r) => (r.messages as any[]).at(-1)?.content?.startsWith?.("question"));
    const last = chats.at(-1)!.messages as any[];
    const lastTokens = countTokens(last, "turnq-sim");
    const wholeHistory = countTokens(log.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: m.content.text })), "turnq-sim");
    expect(lastTokens).toBeLessThan(8_192 * 0.9);
    expect(lastTokens).toBeLessThan(wholeHistory / 2);
    expect(last.some((m) => m.role === "system" && String(m.content).startsWith("Summary of earlier conversation"))).toBe(true);
  });
});
