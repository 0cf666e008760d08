import { describe, expect, it } from "vitest";
import { countTokens, loadedEncodings } from "@turnq/llm";
import { buildWindow, type LogEntry } from "../../src/context/index.ts";
import { compactionRange } from "../../src/context/compaction-range.ts";

// A file of its own: the tokenizer loaded by another test file's process would hide what this checks.
const history: LogEntry[] = Array.from({ length: 40 }, (_, i) => ({
  seq: i + 1,
  turnId: `turn_${i >> 1}`,
  role: i % 2 ? "assistant" : "user",
  content: { text: `message ${i + 1}: ` + "some words of a conversation ".repeat(8) },
}));

describe("a window that fits by its bytes", () => {
  // These run first: each checks that nothing loaded a tokenizer so far.
  it("asks for compaction of a truncated load without tokenising, choosing the same messages", () => {
    const w = buildWindow({ systemPrompt: "You are a helpful assistant.", summary: null, history, newUserText: "next?", model: "gpt-4o", budgetTokens: 100_000, truncated: true });
    expect(w.needsCompaction).toBe(true);
    expect(w.messages).toHaveLength(42);
    expect(w.droppedCount).toBe(0);
    expect(loadedEncodings()).toEqual([]);
  });

  it("picks a compaction range whose transcript fits by its bytes without tokenising", () => {
    const chosen = compactionRange({ entries: history, upToSeq: 40, keepRecent: 8, maxInputTokens: 12_000, model: "gpt-4o" });
    expect(chosen.map((e) => e.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(loadedEncodings()).toEqual([]);
  });

  it("is built without loading a tokenizer, and counted exactly once its count is asked for", () => {
    const w = buildWindow({ systemPrompt: "You are a helpful assistant.", summary: null, history, newUserText: "next?", model: "gpt-4o", budgetTokens: 100_000 });
    expect(w.messages).toHaveLength(42);
    expect(w.droppedCount).toBe(0);
    expect(w.needsCompaction).toBe(false);
    expect(loadedEncodings()).toEqual([]);
    expect(w.rawTokens).toBe(countTokens(w.messages, "gpt-4o"));
    expect(loadedEncodings()).toEqual(["o200k_base"]);
  });
});
