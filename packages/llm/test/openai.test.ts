import { afterEach, describe, expect, it } from "vitest";
import { createLlmClient } from "../src/index.ts";
import type { LlmClient } from "../src/index.ts";
import { json, openAiChunk, sseHeaders, startServer, writePieces } from "./helpers/test-server.ts";
import type { TestServer } from "./helpers/test-server.ts";

let server: TestServer | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const messages = [
  { role: "system" as const, content: "be brief" },
  { role: "user" as const, content: "weather in Paris?" },
];

describe("OpenAI-compatible provider", () => {
  it("streams text deltas, assembles tool calls split across chunks by index, and reads usage from the final chunk", async () => {
    const wire =
      openAiChunk({ role: "assistant", content: "Let me " }) +
      openAiChunk({ content: "check." }) +
      openAiChunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } }] }) +
      openAiChunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: "{\"tz\":" } }] }) +
      openAiChunk({ tool_calls: [{ index: 0, function: { arguments: "{\"city\":" } }] }) +
      openAiChunk({ tool_calls: [{ index: 0, function: { arguments: "\"Paris\"}" } }] }) +
      openAiChunk({ tool_calls: [{ index: 1, function: { arguments: "\"CET\"}" } }] }) +
      `data: ${JSON.stringify({ model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })}\n\n` +
      `data: ${JSON.stringify({ model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 42, completion_tokens: 17, prompt_tokens_details: { cached_tokens: 32 } } })}\n\n` +
      "data: [DONE]\n\n";
    server = await startServer(async (_req, res) => {
      sseHeaders(res);
      // Split at awkward places: inside JSON, inside "data:", between \n and \n.
      const cuts = [5, 61, 62, 130, 200, 333, 334, 500, wire.length - 3];
      const pieces: string[] = [];
      let prev = 0;
      for (const c of cuts.filter((c) => c < wire.length)) {
        pieces.push(wire.slice(prev, c));
        prev = c;
      }
      pieces.push(wire.slice(prev));
      await writePieces(res, pieces);
      res.end();
    });
    client = createLlmClient({ provider: "openai", baseUrl: server.url, apiKey: "sk-test" });
    const deltas: string[] = [];
    const result = await client.chat({
      model: "gpt-4o",
      messages,
      tools: [{ name: "get_weather", description: "weather", parameters: { type: "object" } }],
      onDelta: (t) => deltas.push(t),
    });
    expect(deltas.join("")).toBe("Let me check.");
    expect(result.text).toBe("Let me check.");
    expect(result.toolCalls).toEqual([
      { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "get_time", arguments: '{"tz":"CET"}' },
    ]);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.usage).toEqual({ inputTokens: 42, outputTokens: 17, cachedInputTokens: 32 });
    expect(result.model).toBe("gpt-4o-2024-08-06");
    expect(result.attempts).toBe(1);
    expect(result.timeToFirstChunkMs).toBeGreaterThanOrEqual(0);

    const sent = JSON.parse(server.received[0]!.body);
    expect(server.received[0]!.url).toBe("/v1/chat/completions");
    expect(server.received[0]!.headers["authorization"]).toBe("Bearer sk-test");
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(sent.tools[0]).toEqual({ type: "function", function: { name: "get_weather", description: "weather", parameters: { type: "object" } } });
  });

  it("decodes a multi-byte UTF-8 character split across two network chunks", async () => {
    const wire = Buffer.from(
      openAiChunk({ content: "héllo → 🌍" }) +
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`,
      "utf8",
    );
    const globe = wire.indexOf(Buffer.from("🌍"));
    const arrow = wire.indexOf(Buffer.from("→"));
    server = await startServer(async (_req, res) => {
      sseHeaders(res);
      await writePieces(res, [wire.subarray(0, arrow + 1), wire.subarray(arrow + 1, globe + 2), wire.subarray(globe + 2)]);
      res.end();
    });
    client = createLlmClient({ provider: "openai", baseUrl: server.url });
    const result = await client.chat({ model: "gpt-4o", messages });
    expect(result.text).toBe("héllo → 🌍");
  });

  it("sends stream:false and parses a non-streamed completion with tool calls and cached tokens", async () => {
    server = await startServer((_req, res) =>
      json(res, 200, {
        id: "x",
        model: "gpt-4.1-mini-2025-04-14",
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } },
      }),
    );
    client = createLlmClient({ provider: "openai", baseUrl: server.url });
    const result = await client.chat({
      model: "gpt-4.1-mini",
      stream: false,
      maxOutputTokens: 50,
      messages: [
        ...messages,
        { role: "assistant", content: null, toolCalls: [{ id: "c0", name: "f", arguments: "{}" }] },
        { role: "tool", content: "ok", toolCallId: "c0" },
      ],
    });
    expect(result).toMatchObject({
      text: "",
      toolCalls: [{ id: "c1", name: "f", arguments: "{}" }],
      finishReason: "tool_calls",
      usage: { inputTokens: 10, outputTokens: 3, cachedInputTokens: 4 },
      model: "gpt-4.1-mini-2025-04-14",
      timeToFirstChunkMs: undefined,
    });
    const sent = JSON.parse(server.received[0]!.body);
    expect(sent.stream).toBeUndefined();
    expect(sent.max_tokens).toBe(50);
    expect(sent.messages[2]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c0", type: "function", function: { name: "f", arguments: "{}" } }],
    });
    expect(sent.messages[3]).toEqual({ role: "tool", tool_call_id: "c0", content: "ok" });
  });

  it("sends the caller's traceparent with every attempt, and drops one that is not well-formed", async () => {
    server = await startServer((_req, res, i) => (i === 0 ? json(res, 503, { error: { message: "busy" } }) : json(res, 200, {
      id: "x", model: "m", choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "ok" } }],
    })));
    client = createLlmClient({ provider: "openai", baseUrl: server.url, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await client.chat({ model: "m", stream: false, messages, traceparent });
    expect(server.received.map((r) => r.headers.traceparent)).toEqual([traceparent, traceparent]);
    await client.chat({ model: "m", stream: false, messages, traceparent: "00-not-a-traceparent\r\nx-evil: 1" });
    expect(server.received[2]!.headers.traceparent).toBeUndefined();
    expect(server.received[2]!.headers["x-evil"]).toBeUndefined();
  });

  it("rejects an unparseable non-streamed body as llm_bad_response without retrying", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>oops</html>");
    });
    client = createLlmClient({ provider: "openai", baseUrl: server.url });
    await expect(client.chat({ model: "gpt-4o", messages, stream: false })).rejects.toMatchObject({ code: "llm_bad_response" });
    expect(server.received).toHaveLength(1);
  });
});
