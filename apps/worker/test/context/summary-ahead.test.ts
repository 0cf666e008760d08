import { describe, expect, it } from "vitest";
import type { NewMessage } from "@turnq/db";
import { completeTurn } from "../../../../test/support/complete-turn.ts";
import { createTestSession } from "../../../../test/support/tenants.ts";
import { buildWindow, compact, createContextCache, createSummaryAhead, loadHistory, prepareTurnContext, type SummaryAhead, type TurnContextDeps } from "../../src/context/index.ts";
import { rebuildPrompt } from "./prompt-from-log.ts";
import { useContextFixture } from "./llm-fixture.ts";
import { claimTurn, logTurn } from "./turn-fixture.ts";

const fx = useContextFixture();

const answer = (text: string): NewMessage[] => [{ role: "assistant", content: { text } }];
const SUMMARY_MODEL = "ahead-summary-model";
const summaryCalls = () => fx.sim.requests.filter((r) => r.model === SUMMARY_MODEL).length;

/** 10 plain turns (seq 1..20); the first input asks the simulator for short replies (summaries too). */
async function session(): Promise<string> {
  const id = (await createTestSession(fx.db.db)).id;
  for (let i = 0; i < 10; i++) await logTurn(fx.db.db, id, i === 0 ? "question 0 [[sim words=12]]" : `question ${i} about item ${i}`, answer(`answer ${i} about item ${i}`));
  return id;
}

/**
 * A budget at which the session's history (plus a short input) fills `share` of it: with the default
 * threshold of 0.75, a share of 0.7 is past 0.85 of the threshold (a summary is written ahead) but
 * below the threshold itself (the turn does not compact).
 */
async function budgetFilling(sessionId: string, share: number): Promise<number> {
  const loaded = await loadHistory(fx.db.db, createContextCache({ maxSessions: 1, maxMessagesPerSession: 100 }), sessionId);
  const all = buildWindow({ systemPrompt: "s", summary: null, history: loaded.history, newUserText: "next one", model: "gpt-4o-mini", budgetTokens: 1_000_000 });
  return Math.ceil(all.tokens / share);
}

/** A worker's context settings for the session, with a budget its history fills to 70 % (see budgetFilling). */
async function depsNearThreshold(sessionId: string, drafts: SummaryAhead): Promise<TurnContextDeps> {
  return {
    db: fx.db.db,
    cache: createContextCache({ maxSessions: 4, maxMessagesPerSession: 100 }),
    llm: fx.llm,
    model: "gpt-4o-mini",
    summaryModel: SUMMARY_MODEL,
    systemPrompt: "s",
    budgetTokens: await budgetFilling(sessionId, 0.7),
    keepRecent: 4,
    ahead: { drafts, share: 0.85 },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("summaries written ahead", () => {
  it("a turn near the threshold starts the summary; the turn that reaches it appends it without a model call, and its prompt still rebuilds from the log", async () => {
    const sessionId = await session();
    const before = summaryCalls();
    const drafts = createSummaryAhead({ db: fx.db.db, maxSessions: 8 });
    const deps = await depsNearThreshold(sessionId, drafts);

    // Turn A: close to the threshold. Its window is the plain one; the summary call starts beside it.
    const a = await claimTurn(fx.db.db, sessionId, "next one");
    const ctxA = await prepareTurnContext(deps, { sessionId, turnId: a.id, lease: a.lease, newUserText: a.input });
    expect(ctxA.compaction).toBeUndefined();
    expect(ctxA.window.messages).toHaveLength(1 + 20 + 1);
    expect(drafts.stats.started).toBe(1);
    await until(() => summaryCalls() === before + 1, "the summary call written ahead");
    // A second model call of the same turn (or of the next) does not start another draft from the same point.
    await prepareTurnContext(deps, { sessionId, turnId: a.id, lease: a.lease, newUserText: a.input });
    expect(drafts.stats.started).toBe(1);
    await completeTurn(fx.db.db, { turnId: a.id, lease: a.lease, output: "ok", messages: [{ role: "user", content: { text: a.input } }, ...answer("answer A")] });

    // Turn B: past the threshold. It appends the draft under its own lease; the model is not asked again.
    const b = await claimTurn(fx.db.db, sessionId, "and then?");
    const tight = { ...deps, budgetTokens: await budgetFilling(sessionId, 0.9) };
    const ctxB = await prepareTurnContext(tight, { sessionId, turnId: b.id, lease: b.lease, newUserText: b.input });
    expect(ctxB.compaction).toMatchObject({ ok: true, summary: { fromSeq: 1 } });
    expect(summaryCalls()).toBe(before + 1);
    expect(drafts.stats).toEqual({ started: 1, taken: 1, dropped: 0 });
    const summary = ctxB.compaction!.ok ? ctxB.compaction!.summary : undefined;
    // Written before turn A's messages were logged, it covers only what was history then (keeping 4 verbatim).
    expect(summary!.toSeq).toBeLessThanOrEqual(20 - 4);
    const [row] = await fx.db.sql<{ turn_id: string; seq: number }[]>`select turn_id, seq::int from messages where session_id = ${sessionId} and content ? 'summary'`;
    expect(row).toEqual({ turn_id: b.id, seq: 23 });
    expect(ctxB.window.messages[1]!.content).toContain(summary!.text);

    // The log says exactly what turn B's call was sent, as it does for a summary written in the turn.
    const reply = await fx.llm.chat({ model: "gpt-4o-mini", messages: ctxB.window.messages });
    await completeTurn(fx.db.db, { turnId: b.id, lease: b.lease, output: reply.text, messages: [{ role: "user", content: { text: b.input } }, ...answer(reply.text)] });
    const rebuilt = await rebuildPrompt(fx.db.db, { systemPrompt: "s", model: "gpt-4o-mini", budgetTokens: tight.budgetTokens, maxMessages: 100, turnId: b.id });
    expect(rebuilt.messages).toEqual(ctxB.window.messages);
  });

  it("a draft written on one worker is used by the session's next turn on another", async () => {
    const sessionId = await session();
    const before = summaryCalls();
    const depsA = await depsNearThreshold(sessionId, createSummaryAhead({ db: fx.db.db, maxSessions: 8 }));
    const a = await claimTurn(fx.db.db, sessionId, "next one");
    await prepareTurnContext(depsA, { sessionId, turnId: a.id, lease: a.lease, newUserText: a.input });
    const stored = async () => (await fx.db.sql<{ n: number }[]>`select count(*)::int as n from summary_drafts where session_id = ${sessionId}`)[0]!.n;
    const deadline = Date.now() + 10_000;
    while ((await stored()) === 0) {
      if (Date.now() > deadline) throw new Error("the draft was never stored");
      await new Promise((r) => setTimeout(r, 10));
    }
    await completeTurn(fx.db.db, { turnId: a.id, lease: a.lease, output: "ok", messages: [{ role: "user", content: { text: a.input } }, ...answer("answer A")] });

    // Worker B: its own cache and drafts, none of them for this session.
    const draftsB = createSummaryAhead({ db: fx.db.db, maxSessions: 8 });
    const depsB = { ...depsA, cache: createContextCache({ maxSessions: 4, maxMessagesPerSession: 100 }), ahead: { drafts: draftsB, share: 0.85 } };
    const b = await claimTurn(fx.db.db, sessionId, "and then?");
    const ctxB = await prepareTurnContext({ ...depsB, budgetTokens: await budgetFilling(sessionId, 0.9) }, { sessionId, turnId: b.id, lease: b.lease, newUserText: b.input });
    expect(ctxB.compaction).toMatchObject({ ok: true, ahead: true, summary: { fromSeq: 1 } });
    expect(draftsB.stats.started).toBe(0);
    expect(summaryCalls()).toBe(before + 1);
    // Taken once: the stored draft is gone.
    expect(await stored()).toBe(0);
  });

  it("a draft that no longer continues the log's latest summary is dropped and the turn writes its own", async () => {
    const sessionId = await session();
    const before = summaryCalls();
    const drafts = createSummaryAhead({ db: fx.db.db, maxSessions: 8 });
    const deps = await depsNearThreshold(sessionId, drafts);
    const a = await claimTurn(fx.db.db, sessionId, "next one");
    await prepareTurnContext(deps, { sessionId, turnId: a.id, lease: a.lease, newUserText: a.input });
    await until(() => summaryCalls() === before + 1, "the summary call written ahead");
    // Meanwhile another summary reaches the log (as a turn on another worker would append one).
    const other = await compact({ db: fx.db.db, llm: fx.llm, model: "elsewhere", sessionId, turnId: a.id, lease: a.lease, upToSeq: 20, keepRecent: 10 });
    expect(other).toMatchObject({ ok: true, summary: { fromSeq: 1, toSeq: 10 } });
    await completeTurn(fx.db.db, { turnId: a.id, lease: a.lease, output: "ok", messages: [{ role: "user", content: { text: a.input } }, ...answer("answer A")] });

    const b = await claimTurn(fx.db.db, sessionId, "and then?");
    const ctxB = await prepareTurnContext({ ...deps, budgetTokens: 60 }, { sessionId, turnId: b.id, lease: b.lease, newUserText: b.input });
    // The draft started at seq 1; the log's summary already covers 1..10, so the next one starts at 11.
    expect(ctxB.compaction).toMatchObject({ ok: true, summary: { fromSeq: 11 } });
    expect(summaryCalls()).toBe(before + 2);
  });

  it("a turn that is cancelled stops waiting for a draft still being written, and close() aborts its call", async () => {
    const sessionId = (await createTestSession(fx.db.db)).id;
    // The directive reaches the summary call through the transcript: the simulator holds it 5 s.
    await logTurn(fx.db.db, sessionId, "hold on [[sim delay=5000]]", answer("ok"));
    for (let i = 0; i < 4; i++) await logTurn(fx.db.db, sessionId, `q ${i}`, answer(`a ${i}`));
    const drafts = createSummaryAhead({ db: fx.db.db, maxSessions: 8 });
    const before = summaryCalls();
    drafts.start({ db: fx.db.db, llm: fx.llm, model: SUMMARY_MODEL, sessionId, upToSeq: 10, previous: null, keepRecent: 2 });
    await until(() => summaryCalls() === before + 1, "the summary call written ahead");

    const cancel = new AbortController();
    const waited = drafts.take(sessionId, cancel.signal);
    const t0 = Date.now();
    setTimeout(() => cancel.abort(new Error("cancelled")), 50);
    expect(await waited).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(2_000);

    // Taken, it is no longer held: a new one for close() to abort.
    drafts.start({ db: fx.db.db, llm: fx.llm, model: SUMMARY_MODEL, sessionId, upToSeq: 10, previous: null, keepRecent: 2 });
    await until(() => summaryCalls() === before + 2, "the second summary call");
    drafts.close();
    const second = fx.sim.requests.filter((r) => r.model === SUMMARY_MODEL).at(-1)!;
    await until(() => second.aborted, "the simulator to see the call aborted");
  });

  it("holds at most maxSessions drafts (the oldest goes first) and hands out none after close()", async () => {
    const first = await session();
    const second = await session();
    const drafts = createSummaryAhead({ db: fx.db.db, maxSessions: 1 });
    const args = (sessionId: string) => ({ db: fx.db.db, llm: fx.llm, model: SUMMARY_MODEL, sessionId, upToSeq: 20, previous: null, keepRecent: 4 });
    drafts.start(args(first));
    drafts.start(args(second));
    expect(drafts.stats).toEqual({ started: 2, taken: 0, dropped: 1 });
    expect(await drafts.take(first)).toBeUndefined();
    drafts.start(args(first));
    drafts.close();
    expect(drafts.stats).toEqual({ started: 3, taken: 0, dropped: 3 });
    expect(await drafts.take(first)).toBeUndefined();
    expect(await drafts.take(second)).toBeUndefined();
  });
});
