import { describe, expect, it } from "vitest";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTextTokens, countTokens, createSseParser, encodingForModel, MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS } from "../src/index.ts";

describe("SSE parser", () => {
  it("handles CRLF and CR line endings split across chunks, comments and multi-line data", () => {
    const p = createSseParser();
    const events = [
      ...p.push(": keep-alive\r"),
      ...p.push("\nevent: a\r\ndata: one\r"),
      ...p.push("\ndata: two\r\r"),
      ...p.push("\ndata:three\n\n"),
      ...p.end(),
    ];
    expect(events).toEqual([
      { event: "a", data: "one\ntwo" },
      { event: "message", data: "three" },
    ]);
  });

  it("delivers the last event even when the server omitted the trailing blank line", () => {
    const p = createSseParser();
    expect(p.push(new TextEncoder().encode("data: [DONE]"))).toEqual([]);
    expect(p.end()).toEqual([{ event: "message", data: "[DONE]" }]);
  });
});

describe("countTokens", () => {
  const text = "turnq keeps agent conversations durable: 42 tools, ünïcödé and <|endoftext|> included.";
  const framing = (messages: number, role = 1) => REPLY_PRIMING_TOKENS + messages * (MESSAGE_OVERHEAD_TOKENS + role);

  it("uses o200k_base for gpt-4o / gpt-4.1 / o-series and cl100k_base otherwise", () => {
    expect(["gpt-4o", "gpt-4.1-mini", "o3-mini", "openai/gpt-4o"].map(encodingForModel)).toEqual(Array(4).fill("o200k_base"));
    expect(["gpt-4", "gpt-3.5-turbo", "claude-sonnet-4-5", "llama-3.1-8b"].map(encodingForModel)).toEqual(Array(4).fill("cl100k_base"));
  });

  it("gives the tokenizer's own count plus the chat framing", () => {
    const opts = { disallowedSpecial: new Set<string>() };
    expect(countTokens([{ role: "user", content: text }], "gpt-4o")).toBe(encodeO200k(text, opts).length + framing(1));
    expect(countTokens([{ role: "user", content: text }], "claude-sonnet-4-5")).toBe(encodeCl100k(text, opts).length + framing(1));
  });

  it("grows with content, tool calls and tool results", () => {
    const base = countTokens([{ role: "user", content: "hi" }], "gpt-4o");
    const longer = countTokens([{ role: "user", content: "hi ".repeat(200) }], "gpt-4o");
    const withTools = countTokens(
      [
        { role: "user", content: "hi" },
        { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
        { role: "tool", content: "18C and sunny", toolCallId: "c1" },
      ],
      "gpt-4o",
    );
    expect(longer).toBeGreaterThan(base + 150);
    expect(withTools).toBeGreaterThan(base + 10);
  });

  it("remembers counts it made, per encoding, and stays exact after evicting the oldest", () => {
    const opts = { disallowedSpecial: new Set<string>() };
    // The same text counts differently in the two encodings: a memo shared across them would show it.
    const both = "ünïcödé ".repeat(40);
    expect(encodeO200k(both, opts).length).not.toBe(encodeCl100k(both, opts).length);
    for (let round = 0; round < 2; round++) {
      expect(countTextTokens(both, "gpt-4o")).toBe(encodeO200k(both, opts).length);
      expect(countTextTokens(both, "gpt-4")).toBe(encodeCl100k(both, opts).length);
    }
    // More distinct texts than the memo holds; the first ones are evicted, then counted again.
    const texts = Array.from({ length: 5_000 }, (_, i) => `message ${i}: ${"x".repeat(i % 50)} <|endoftext|>`);
    for (const t of texts) countTextTokens(t, "gpt-4");
    for (const t of [texts[0]!, texts[2_500]!, texts[4_999]!]) expect(countTextTokens(t, "gpt-4")).toBe(encodeCl100k(t, opts).length);
  });
});
