import { describe, expect, it } from "vitest";
import { countTokens } from "@turnq/llm";
import type { MessageContent, MessageRole } from "@turnq/core";
import { budgetFor, buildWindow, DEFAULT_CONTEXT_TOKENS, type LogEntry } from "../../src/context/index.ts";

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
});
