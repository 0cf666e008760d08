import { describe, expect, it } from "vitest";
import type { NewMessage } from "@turnq/db";
import { completeTurn } from "../../../../test/support/complete-turn.ts";
import type { ChatMessage } from "@turnq/llm";
import { calibrationFrom, createContextCache, prepareTurnContext, type TurnContextDeps } from "../../src/context/index.ts";
import { promptFromLog, rebuildPrompt } from "./prompt-from-log.ts";
import { useContextFixture } from "./llm-fixture.ts";
import { claimTurn } from "./turn-fixture.ts";
import { createTestSession } from "../../../../test/support/tenants.ts";

const fx = useContextFixture();

/** Both the wire shape the simulator recorded and our ChatMessage, reduced to what the model reads. */
function normal(m: Record<string, any>) {
  const calls = (m.tool_calls ?? m.toolCalls ?? []).map((c: any) => ({ id: c.id, name: c.function?.name ?? c.name, arguments: c.function?.arguments ?? c.arguments }));
  return { role: m.role, text: m.content ?? "", calls, callId: m.tool_call_id ?? m.toolCallId ?? null };
}

interface Sent {
  turnId: string;
  call: number;
  calibration: number;
  messages: unknown[];
  hadSummary: boolean;
  dropped: number;
}

const SETTINGS = { systemPrompt: "You are terse.", model: "gpt-4o-mini", budgetTokens: 260, maxMessages: 40 };

/** Runs turns the way the worker will: prepare the context, call the model, log the turn. */
async function runTurn(deps: TurnContextDeps, sessionId: string, input: string, calibration: number, sent: Sent[]): Promise<number> {
  const turn = await claimTurn(fx.db.db, sessionId, input);
  const pending: ChatMessage[] = [];
  const logged: NewMessage[] = [{ role: "user", content: { text: input } }];
  for (let call = 1; ; call++) {
    const ctx = await prepareTurnContext(deps, { sessionId, turnId: turn.id, lease: turn.lease, newUserText: input, pending, calibration });
    const reply = await fx.llm.chat({ model: SETTINGS.model, messages: ctx.window.messages });
    const recorded = fx.sim.requests.at(-1)!;
    sent.push({ turnId: turn.id, call, calibration, messages: recorded.messages, hadSummary: ctx.loaded.summary !== null, dropped: ctx.window.droppedCount });
    calibration = calibrationFrom(reply.usage.inputTokens, ctx.window.rawTokens);
    if (reply.toolCalls.length === 0) {
      logged.push({ role: "assistant", content: { text: reply.text } });
      break;
    }
    const results = reply.toolCalls.map((c) => ({ role: "tool" as const, content: { toolCallId: c.id, text: `value of ${c.name}` } }));
    logged.push({ role: "assistant", content: { toolCalls: reply.toolCalls } }, ...results);
    pending.push({ role: "assistant", content: null, toolCalls: reply.toolCalls }, ...results.map((r) => ({ role: "tool" as const, content: r.content.text, toolCallId: r.content.toolCallId })));
  }
  await completeTurn(fx.db.db, { turnId: turn.id, lease: turn.lease, output: "ok", messages: logged });
  return calibration;
}

describe("rebuilding a past prompt from the log", () => {
  it("gives exactly what the simulator received, across compactions, a cold cache and a tool round", async () => {
    const sessionId = (await createTestSession(fx.db.db)).id;
    const deps: TurnContextDeps = {
      db: fx.db.db,
      cache: createContextCache({ maxSessions: 4, maxMessagesPerSession: SETTINGS.maxMessages }),
      llm: fx.llm,
      model: SETTINGS.model,
      summaryModel: "cheap",
      systemPrompt: SETTINGS.systemPrompt,
      budgetTokens: SETTINGS.budgetTokens,
      keepRecent: 4,
      // Above 1: windows fill up and drop old messages before a summary is asked for.
      compactionThreshold: 1.3,
    };
    const sent: Sent[] = [];
    let calibration = 1;
    for (let i = 0; i < 24; i++) {
      if (i === 7) deps.cache = createContextCache({ maxSessions: 4, maxMessagesPerSession: SETTINGS.maxMessages }); // a new worker
      const input = i === 23 ? "look it up [[sim tool=lookup]]" : `question ${i}: tell me something about item ${i} [[sim words=8]]`;
      calibration = await runTurn(deps, sessionId, input, calibration, sent);
    }
    // The scenario must exercise what it claims to.
    const [summaries] = await fx.db.sql<{ n: number }[]>`select count(*)::int as n from messages where session_id = ${sessionId} and content ? 'summary'`;
    expect(summaries!.n).toBeGreaterThanOrEqual(2);
    expect(sent.some((s) => s.hadSummary && s.dropped > 0)).toBe(true);
    expect(new Set(sent.map((s) => s.calibration)).size).toBeGreaterThan(1);
    expect(sent.filter((s) => s.call === 2)).toHaveLength(1);

    const log = await fx.db.sql<any[]>`select seq::int, turn_id as "turnId", role, content from messages where session_id = ${sessionId} order by seq`;
    for (const s of sent) {
      const settings = { ...SETTINGS, calibration: s.calibration };
      const rebuilt = await rebuildPrompt(fx.db.db, { ...settings, turnId: s.turnId, call: s.call });
      expect(rebuilt.messages.map(normal), `turn ${s.turnId} call ${s.call}`).toEqual(s.messages.map((m) => normal(m as object)));
      // Every turn here logged its user message, so the input is never needed from the turn row.
      const pure = promptFromLog({ ...settings, log, turnId: s.turnId, turnInput: "", call: s.call });
      expect(pure.messages).toEqual(rebuilt.messages);
    }
  });
});
