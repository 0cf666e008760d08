import { describe, expect, it } from "vitest";
import { countTextTokens, countTokens } from "@turnq/llm";
import type { MessageContent, MessageRole } from "@turnq/core";
import { budgetFor, buildWindow, DEFAULT_CONTEXT_TOKENS, type LogEntry } from "../../src/context/index.ts";
import { messageTokens, messageTokensBound } from "../../src/context/token-count.ts";
import { compactionRange } from "../../src/context/compaction-range.ts";
import { transcriptLine } from "../../src/context/summary-prompt.ts";

const MODEL = "gpt-4o-mini";
const entry = (seq: number, role: MessageRole, content: MessageContent, turnId = `turn_${seq}`): LogEntry => ({ seq, turnId, role, content });

/** user, assistant, user, assistant … with texts of varying length, so unit sizes differ. */
function chat(count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) =>
    entry(i + 1, i % 2 ? "assistant" : "user", { text: `message ${i + 1} ` + "lorem ipsum dolor ".repeat(1 + ((i * 7) % 23)) }),
  );
}

/** Each round: user, assistant calling `calls` tools, their results, a final answer. */
function toolRounds(rounds: number, calls = 3): LogEntry[] {
  const out: LogEntry[] = [];
  for (let r = 0; r < rounds; r++) {
    const ids = Array.from({ length: calls }, (_, i) => `call_${r}_${i}`);
    out.push(entry(out.length + 1, "user", { text: `round ${r}: look things up` }));
    out.push(entry(out.length + 1, "assistant", { toolCalls: ids.map((id) => ({ id, name: "lookup", arguments: `{"q":"${id}"}` })) }));
    for (const id of ids) out.push(entry(out.length + 1, "tool", { toolCallId: id, text: `result for ${id} `.repeat(1 + (r % 5)) }));
    out.push(entry(out.length + 1, "assistant", { text: `done with round ${r}` }));
  }
  return out;
}

function assertToolPairing(messages: ReturnType<typeof buildWindow>["messages"]) {
  const history = messages.filter((m) => m.role !== "system");
  expect(history[0]?.role).not.toBe("tool");
  for (let i = 0; i < history.length; i++) {
    const m = history[i]!;
    if (m.toolCalls?.length) {
      const results = history.slice(i + 1, i + 1 + m.toolCalls.length);
      expect(results.map((r) => r.toolCallId)).toEqual(m.toolCalls.map((c) => c.id));
    }
    if (m.role === "tool") {
      const owner = history.slice(0, i).findLast((p) => p.toolCalls?.length);
      expect(owner?.toolCalls?.some((c) => c.id === m.toolCallId)).toBe(true);
    }
  }
}

describe("buildWindow", () => {
  it("keeps a 2,000-message session under budget with the newest messages, counted exactly", () => {
    const history = chat(2_000);
    const w = buildWindow({ systemPrompt: "Be brief.", summary: null, history, newUserText: "and now?", model: MODEL, budgetTokens: 6_000 });
    expect(w.tokens).toBeLessThanOrEqual(6_000);
    expect(w.rawTokens).toBe(countTokens(w.messages, MODEL));
    expect(w.messages.at(-1)).toEqual({ role: "user", content: "and now?" });
    expect(w.messages.at(-2)?.content).toBe(history.at(-1)!.content.text);
    const kept = w.messages.length - 2;
    expect(w.droppedCount).toBe(2_000 - kept);
    expect(w.firstSeq).toBe(2_000 - kept + 1);
    // Filling: the next older message would not have fitted.
    const older = history[2_000 - kept - 1]!;
    expect(countTokens([...w.messages, { role: older.role, content: older.content.text! }], MODEL)).toBeGreaterThan(6_000);
    expect(w.needsCompaction).toBe(true);
  });

  it("never splits a tool call from its results and never starts with tool results, at any budget", () => {
    const history = toolRounds(40);
    for (let budget = 60; budget <= 4_000; budget += 37) {
      const w = buildWindow({ systemPrompt: "s", summary: null, history, newUserText: "q", model: MODEL, budgetTokens: budget });
      assertToolPairing(w.messages);
      expect(w.tokens <= budget || w.overBudget).toBe(true);
    }
  });

  it("drops orphan tool results at the start and calls whose results are missing", () => {
    const rounds = toolRounds(3);
    const history = [...rounds.slice(2), entry(100, "assistant", { toolCalls: [{ id: "lost", name: "x", arguments: "{}" }] }), entry(101, "user", { text: "hi" })];
    const w = buildWindow({ systemPrompt: "s", summary: null, history, model: MODEL, budgetTokens: 100_000 });
    assertToolPairing(w.messages);
    expect(w.messages[1]?.role).toBe("assistant");
    expect(w.droppedCount).toBe(4); // three orphan results and the unanswered call
  });

  it("puts the summary after the system prompt and this turn's logged entries last, whatever the budget", () => {
    const history = [...chat(30), entry(31, "user", { text: "mine" }, "turn_now"), entry(32, "assistant", { text: "calling" }, "turn_now")];
    const summary = { seq: 5, text: "they said hi", fromSeq: 1, toSeq: 4 };
    const w = buildWindow({ systemPrompt: "s", summary, history, currentTurnId: "turn_now", pending: [{ role: "tool", content: "r", toolCallId: "c" }], model: MODEL, budgetTokens: 60 });
    expect(w.messages.slice(0, 2)).toEqual([
      { role: "system", content: "s" },
      { role: "system", content: "Summary of earlier conversation: they said hi" },
    ]);
    expect(w.messages.slice(-3).map((m) => m.content)).toEqual(["mine", "calling", "r"]);
  });

  it("applies a clamped calibration factor and the compaction threshold", () => {
    const history = chat(200);
    const base = { systemPrompt: "s", summary: null, history, newUserText: "q", model: MODEL, budgetTokens: 3_000 };
    const plain = buildWindow(base);
    const doubled = buildWindow({ ...base, calibration: 2 });
    const clamped = buildWindow({ ...base, calibration: 50 });
    expect(doubled.tokens).toBe(Math.ceil(doubled.rawTokens * 2));
    expect(doubled.tokens).toBeLessThanOrEqual(3_000);
    expect(doubled.messages.length).toBeLessThan(plain.messages.length);
    expect(clamped.messages).toEqual(doubled.messages);
    expect(buildWindow({ ...base, calibration: Number.NaN }).messages).toEqual(plain.messages);

    const small = { ...base, history: chat(10) };
    const t = buildWindow(small).tokens;
    expect(buildWindow({ ...small, budgetTokens: Math.ceil(t / 0.75) + 5 }).needsCompaction).toBe(false);
    expect(buildWindow({ ...small, budgetTokens: Math.ceil(t / 0.75) - 5 }).needsCompaction).toBe(true);
    expect(buildWindow({ ...small, budgetTokens: 10 * t, compactionThreshold: 0.05 }).needsCompaction).toBe(true);
    expect(buildWindow({ ...small, budgetTokens: 10 * t, truncated: true }).needsCompaction).toBe(true);

    // compactionSoon: past `compactionAhead` of the threshold, not past the threshold itself; never by default.
    const soon = (budgetTokens: number, compactionAhead?: number) => buildWindow({ ...small, budgetTokens, compactionAhead }).compactionSoon;
    expect(soon(Math.ceil(t / 0.7), 0.9)).toBe(true);
    expect(soon(Math.ceil(t / 0.7))).toBe(false);
    expect(soon(Math.ceil(t / 0.6), 0.9)).toBe(false);
    expect(soon(Math.ceil(t / 0.8), 0.9)).toBe(false);
    expect(buildWindow({ ...small, budgetTokens: Math.ceil(t / 0.8), compactionAhead: 0.9 }).needsCompaction).toBe(true);
  });
});

describe("budgetFor", () => {
  it("leaves room for the reply within known context sizes and falls back safely", () => {
    expect(budgetFor("gpt-4o-mini", 4_096)).toBe(Math.floor(128_000 * 0.9) - 4_096);
    expect(budgetFor("openai/gpt-4.1", 8_000)).toBe(Math.floor(1_047_576 * 0.9) - 8_000);
    expect(budgetFor("claude-sonnet-4-5", 8_000)).toBe(Math.floor(200_000 * 0.9) - 8_000);
    expect(budgetFor("turnq-sim", 1_000)).toBe(Math.floor(DEFAULT_CONTEXT_TOKENS * 0.9) - 1_000);
    expect(budgetFor("turnq-sim", 1_000_000)).toBeGreaterThanOrEqual(1_024);
  });

  it("bounds every message's tokens by its bytes, in both encodings, whatever it holds", () => {
    const messages = [
      { role: "user" as const, content: "ünïcödé, 漢字, emoji 🙂🙂 and <|endoftext|> <|im_start|>" },
      { role: "assistant" as const, content: null, toolCalls: [{ id: "call_ü", name: "lookup", arguments: '{"q":"🙂 ' + "x".repeat(300) + '"}' }] },
      { role: "tool" as const, content: "   \n\n\t  spaces   and  \r\n breaks", toolCallId: "call_ü" },
      { role: "system" as const, content: "" },
    ];
    for (const model of ["gpt-4o", "gpt-4"]) for (const m of messages) expect(messageTokensBound(m)).toBeGreaterThanOrEqual(messageTokens(m, model));
  });

  it("chooses the same window whether or not the byte bounds alone could decide it", () => {
    // Budgets from far above the history to far below: the bounds decide the first ones alone, the
    // exact counts the others; a reference selection on exact counts must agree with every one.
    const history = [...toolRounds(6), ...chat(30).map((e, i) => ({ ...e, seq: 100 + i }))];
    for (const budget of [200_000, 20_000, 5_000, 2_000, 800, 300]) {
      for (const calibration of [undefined, 0.5, 2]) {
        const input = { systemPrompt: "Be brief.", summary: null, history, newUserText: "and now?", model: MODEL, budgetTokens: budget, calibration };
        const w = buildWindow(input);
        expect(w.rawTokens).toBe(countTokens(w.messages, MODEL));
        const ref = referenceWindow(input);
        expect({ dropped: w.droppedCount, first: w.firstSeq, compaction: w.needsCompaction, over: w.overBudget }).toEqual(ref);
      }
    }
  });
});

/** The selection of buildWindow, on exact counts only, written plainly: the two-pass one must match it. */
function referenceWindow(input: { history: LogEntry[]; budgetTokens: number; calibration: number | undefined; systemPrompt: string; newUserText: string }) {
  const factor = Math.min(2, Math.max(0.5, input.calibration ?? 1));
  const cal = (n: number) => Math.ceil(n * factor);
  const fixed = countTokens([{ role: "system", content: input.systemPrompt }, { role: "user", content: input.newUserText }], MODEL);
  // Units: a user or plain assistant message alone; an assistant calling tools with its results.
  const units: { entries: LogEntry[] }[] = [];
  for (const e of input.history) {
    if (e.role === "tool") units.at(-1)!.entries.push(e);
    else units.push({ entries: [e] });
  }
  const cost = (u: { entries: LogEntry[] }) => countTokens(u.entries.map((e) => ({ role: e.role, content: e.content.text ?? null, ...(e.content.toolCalls ? { toolCalls: e.content.toolCalls } : {}), ...(e.content.toolCallId ? { toolCallId: e.content.toolCallId } : {}) })), MODEL) - 3;
  let kept = 0;
  let from = units.length;
  while (from > 0 && cal(fixed + kept + cost(units[from - 1]!)) <= input.budgetTokens) kept += cost(units[--from]!);
  const keptEntries = units.slice(from).flatMap((u) => u.entries);
  const all = units.reduce((n, u) => n + cost(u), 0);
  return {
    dropped: input.history.length - keptEntries.length,
    first: keptEntries[0]?.seq,
    compaction: cal(fixed + all) > 0.75 * input.budgetTokens,
    over: cal(fixed) > input.budgetTokens,
  };
}

describe("compactionRange", () => {
  const entries: LogEntry[] = Array.from({ length: 30 }, (_, i) => ({
    seq: i + 1,
    turnId: `turn_${i >> 1}`,
    role: i % 2 ? "assistant" : "user",
    content: { text: `entry ${i + 1}: ` + "words ".repeat(20) },
  }));
  const tokensOf = (chosen: readonly LogEntry[]) => chosen.reduce((n, e) => n + countTextTokens(transcriptLine(e), "gpt-4o"), 0);

  it("stops at the token cap when the transcript's bytes exceed it", () => {
    const cap = 200;
    const chosen = compactionRange({ entries, upToSeq: 30, keepRecent: 4, maxInputTokens: cap, model: "gpt-4o" });
    expect(chosen.length).toBeGreaterThan(1);
    expect(tokensOf(chosen)).toBeLessThanOrEqual(cap);
    expect(tokensOf(entries.slice(0, chosen.length + 1))).toBeGreaterThan(cap);
  });

  it("takes everything but the recent entries when it fits, and one oversized entry rather than none", () => {
    expect(compactionRange({ entries, upToSeq: 30, keepRecent: 4, maxInputTokens: 100_000, model: "gpt-4o" })).toHaveLength(26);
    expect(compactionRange({ entries, upToSeq: 30, keepRecent: 4, maxInputTokens: 1, model: "gpt-4o" }).map((e) => e.seq)).toEqual([1]);
  });
});
