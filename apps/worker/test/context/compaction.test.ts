import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { NewMessage } from "@turnq/db";
import { completeTurn } from "../../../../test/support/complete-turn.ts";
import { createLlmClient } from "@turnq/llm";
import { buildWindow, compact, createContextCache, loadHistory, prepareTurnContext, SUMMARY_PREFIX } from "../../src/context/index.ts";
import { useContextFixture } from "./llm-fixture.ts";
import { claimTurn, logTurn } from "./turn-fixture.ts";
import { createTestSession } from "../../../../test/support/tenants.ts";

const fx = useContextFixture();

const answer = (text: string): NewMessage[] => [{ role: "assistant", content: { text } }];
const toolRound: NewMessage[] = [
  { role: "assistant", content: { toolCalls: [{ id: "c1", name: "lookup", arguments: '{"q":"a"}' }, { id: "c2", name: "lookup", arguments: '{"q":"b"}' }] } },
  { role: "tool", content: { toolCallId: "c1", text: "A is 1" } },
  { role: "tool", content: { toolCallId: "c2", text: "B is 2" } },
  { role: "assistant", content: { text: "A is 1 and B is 2" } },
];

/** 8 plain turns (seq 1..16), a tool round (17..21: user, call, two results, answer), a plain turn (22, 23). */
async function session(firstInput = "question 0"): Promise<string> {
  const id = (await createTestSession(fx.db.db)).id;
  for (let i = 0; i < 8; i++) await logTurn(fx.db.db, id, i === 0 ? firstInput : `question ${i}`, answer(`answer ${i}`));
  await logTurn(fx.db.db, id, "look up A and B", toolRound);
  await logTurn(fx.db.db, id, "thanks", answer("you're welcome"));
  return id;
}

const logOf = (sessionId: string) => fx.db.sql<{ seq: number; turn_id: string; role: string; content: Record<string, unknown> }[]>`
  select seq::int, turn_id, role, content from messages where session_id = ${sessionId} order by seq`;

describe("compact", () => {
  it("appends one summary naming its range, keeps tool groups whole, and the next window uses it", async () => {
    const sessionId = await session();
    const original = await logOf(sessionId);
    const turn = await claimTurn(fx.db.db, sessionId, "what did we find?");
    const cache = createContextCache({ maxSessions: 4, maxMessagesPerSession: 100 });
    const loaded = await loadHistory(fx.db.db, cache, sessionId);
    const base = { db: fx.db.db, llm: fx.llm, model: "cheap-summary-model", sessionId, turnId: turn.id, lease: turn.lease, upToSeq: loaded.upToSeq };

    const result = await compact({ ...base, previous: loaded.summary, keepRecent: 4 });
    // Keeping the newest 4 would cut between the tool call (18) and its results (19, 20): the cut moves before the call.
    expect(result).toMatchObject({ ok: true, summary: { seq: 24, fromSeq: 1, toSeq: 17 } });
    const request = fx.sim.requests.at(-1)!;
    expect(request.model).toBe("cheap-summary-model");
    const prompt = JSON.stringify(request.messages);
    expect(prompt).toContain("[1] user: question 0");
    expect(prompt).toContain("[17] user: look up A and B");
    expect(prompt).not.toContain("[18]");

    const after = await logOf(sessionId);
    expect(after.slice(0, 23)).toEqual(original);
    expect(after).toHaveLength(24);
    expect(after[23]).toMatchObject({ seq: 24, turn_id: turn.id, role: "system", content: { summary: { fromSeq: 1, toSeq: 17 } } });

    const next = await loadHistory(fx.db.db, cache, sessionId);
    expect(next).toMatchObject({ source: "warm", fetchedRows: 1, summary: { seq: 24, toSeq: 17 } });
    const window = buildWindow({ systemPrompt: "s", summary: next.summary, history: next.history, newUserText: turn.input, model: "gpt-4o-mini", budgetTokens: 10_000 });
    expect(window.messages[1]!.content).toMatch(new RegExp(`^${SUMMARY_PREFIX}`));
    expect(window.messages.slice(2, -1).map((m) => m.role)).toEqual(["assistant", "tool", "tool", "assistant", "user", "assistant"]);

    // The following compaction continues exactly where this one stopped and folds the summary in.
    const second = await compact({ ...base, previous: next.summary, keepRecent: 2 });
    expect(second).toMatchObject({ ok: true, summary: { fromSeq: 18, toSeq: 21 } });
    expect(JSON.stringify(fx.sim.requests.at(-1)!.messages)).toContain("Previous summary:");
  });

  it("returns a failure and appends nothing when the summary call is rejected, and the turn still completes", async () => {
    const sessionId = await session("remember this [[sim error=400]]");
    const turn = await claimTurn(fx.db.db, sessionId, "go on");
    const cache = createContextCache({ maxSessions: 4, maxMessagesPerSession: 100 });
    const deps = { db: fx.db.db, cache, llm: fx.llm, model: "gpt-4o-mini", summaryModel: "cheap", systemPrompt: "s", budgetTokens: 150, keepRecent: 4 };
    const ctx = await prepareTurnContext(deps, { sessionId, turnId: turn.id, lease: turn.lease, newUserText: turn.input });
    expect(ctx.compaction).toMatchObject({ ok: false, code: "llm_rejected" });
    expect(ctx.window.messages.at(-1)).toEqual({ role: "user", content: "go on" });
    expect(ctx.window.tokens).toBeLessThanOrEqual(150);
    expect(ctx.window.droppedCount).toBeGreaterThan(0);
    expect(await logOf(sessionId)).toHaveLength(23);

    const reply = await fx.llm.chat({ model: "gpt-4o-mini", messages: ctx.window.messages });
    await completeTurn(fx.db.db, { turnId: turn.id, lease: turn.lease, output: reply.text, messages: [{ role: "user", content: { text: turn.input } }, ...answer(reply.text)] });
    expect(await logOf(sessionId)).toHaveLength(25);
  });

  it("returns a failure when the summary model is unreachable", async () => {
    const port = await closedPort();
    const down = createLlmClient({ provider: "openai", baseUrl: `http://127.0.0.1:${port}/v1`, retry: { maxAttempts: 1 } });
    try {
      const sessionId = await session();
      const turn = await claimTurn(fx.db.db, sessionId, "go on");
      const result = await compact({ db: fx.db.db, llm: down, model: "cheap", sessionId, turnId: turn.id, lease: turn.lease, upToSeq: 23, keepRecent: 4 });
      expect(result).toMatchObject({ ok: false, code: "llm_unavailable" });
      expect(await logOf(sessionId)).toHaveLength(23);
    } finally {
      await down.close();
    }
  });

  it("reports a lost lease instead of appending", async () => {
    const sessionId = await session();
    const turn = await claimTurn(fx.db.db, sessionId, "go on");
    const result = await compact({ db: fx.db.db, llm: fx.llm, model: "cheap", sessionId, turnId: turn.id, lease: turn.lease + 1, upToSeq: 23, keepRecent: 4 });
    expect(result).toMatchObject({ ok: false, code: "lease_lost" });
    expect(await logOf(sessionId)).toHaveLength(23);
  });

  it("prepareTurnContext compacts when the window asks for it and rebuilds the window with the summary", async () => {
    // The directive reaches the summary call through the transcript: a short, fixed-size summary.
    const sessionId = await session("question 0 [[sim words=12]]");
    const turn = await claimTurn(fx.db.db, sessionId, "and then?");
    const cache = createContextCache({ maxSessions: 4, maxMessagesPerSession: 100 });
    const deps = { db: fx.db.db, cache, llm: fx.llm, model: "gpt-4o-mini", summaryModel: "cheap", systemPrompt: "s", budgetTokens: 150, keepRecent: 4 };
    const ctx = await prepareTurnContext(deps, { sessionId, turnId: turn.id, lease: turn.lease, newUserText: turn.input });
    expect(ctx.compaction).toMatchObject({ ok: true, summary: { fromSeq: 1, toSeq: 17 } });
    expect(ctx.loaded.summary?.toSeq).toBe(17);
    expect(ctx.window.messages[1]!.content).toMatch(new RegExp(`^${SUMMARY_PREFIX}`));
    expect(ctx.window.messages.at(-1)).toEqual({ role: "user", content: "and then?" });
    expect(ctx.window.firstSeq).toBeGreaterThan(17);
    expect(ctx.window.tokens).toBeLessThanOrEqual(150);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
