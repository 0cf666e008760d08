import { countTokens } from "@turnq/llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a long session through the API", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // METRICS_PORT 0: the worker serves /metrics on a free port and logs its URL.
    sys = await startSystem({ workers: 1, workerEnv: { METRICS_PORT: "0" } });
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

    // Summaries are written ahead (COMPACTION_AHEAD): in the background while an earlier turn runs,
    // so the turn that needs one appends it without waiting for the model. Only the first may have
    // been written by its own turn: before any summary exists the history can jump past the
    // threshold in one turn (here each reply is 500 words against an 8k model).
    const url = /"url":"([^"]+\/metrics)"/.exec(sys.workers[0]!.output())?.[1];
    expect(url, "the worker logged no metrics URL").toBeDefined();
    const text = await (await fetch(url!)).text();
    const count = (written: string) => Number(new RegExp(`^turnq_compactions_total\\{[^}]*turnq_summary_written="${written}"[^}]*\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    expect(count("ahead") + count("turn")).toBe(summaries.length);
    expect(count("turn")).toBeLessThanOrEqual(1);

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
