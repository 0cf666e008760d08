import { describe, expect, it } from "vitest";
import { countTokens, loadedEncodings } from "@turnq/llm";
import { buildWindow, type LogEntry } from "../../src/context/index.ts";

// A file of its own: the tokenizer loaded by another test file's process would hide what this checks.
const history: LogEntry[] = Array.from({ length: 40 }, (_, i) => ({
  seq: i + 1,
  turnId: `turn_${i >> 1}`,
  role: i % 2 ? "assistant" : "user",
  content: { text: `message ${i + 1}: ` + "some words of a conversation ".repeat(8) },
}));

describe("a window that fits by its bytes", () => {
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
