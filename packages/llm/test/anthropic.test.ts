import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createLlmClient } from "../src/index.ts";
import type { ChatMessage, LlmClient } from "../src/index.ts";
import { json, startServer, writePieces } from "./helpers/test-server.ts";
import type { TestServer } from "./helpers/test-server.ts";

let server: TestServer | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** Replays a recorded SSE body in small byte slices, so boundaries fall mid-line and mid-character. */
function replay(file: string, sliceBytes = 7) {
  const wire = fixture(file);
  return async (_r: unknown, res: import("node:http").ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    const pieces: Buffer[] = [];
    for (let i = 0; i < wire.length; i += sliceBytes) pieces.push(wire.subarray(i, i + sliceBytes));
    await writePieces(res, pieces, 0);
    res.end();
  };
}

const conversation: ChatMessage[] = [
  { role: "system", content: "You are turnq." },
  { role: "system", content: "Tools are cheap." },
  { role: "user", content: "Weather and time in Paris?" },
  {
    role: "assistant",
    content: "Checking.",
    toolCalls: [
      { id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "toolu_2", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
    ],
  },
  { role: "tool", content: "18C", toolCallId: "toolu_1" },
  { role: "tool", content: "14:02", toolCallId: "toolu_2" },
  { role: "user", content: "Thanks, and tomorrow?" },
];
const tools = [
  { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } },
  { name: "get_time", description: "Time in a zone", parameters: { type: "object", properties: { tz: { type: "string" } } } },
];

describe("Anthropic provider", () => {
  it("maps system, tools, tool calls and tool results onto the Messages API with cache_control on the stable prefix", async () => {
    server = await startServer(replay("anthropic-text.sse"));
    client = createLlmClient({ provider: "anthropic", baseUrl: server.url, apiKey: "sk-ant-test" });
    expect(client.provider).toBe("anthropic");
    await client.chat({ model: "claude-sonnet-4-5", messages: conversation, tools });

    const got = server.received[0]!;
    expect(got.url).toBe("/v1/messages");
    expect(got.headers["x-api-key"]).toBe("sk-ant-test");
    expect(got.headers["anthropic-version"]).toBe("2023-06-01");
    expect(got.headers["authorization"]).toBeUndefined();
    expect(JSON.parse(got.body)).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      stream: true,
      system: [
        { type: "text", text: "You are turnq." },
        { type: "text", text: "Tools are cheap.", cache_control: { type: "ephemeral" } },
      ],
      tools: [
        { name: "get_weather", description: "Weather for a city", input_schema: tools[0]!.parameters },
        { name: "get_time", description: "Time in a zone", input_schema: tools[1]!.parameters, cache_control: { type: "ephemeral" } },
      ],
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather and time in Paris?" }] },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "get_time", input: { tz: "Europe/Paris" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
            { type: "tool_result", tool_use_id: "toolu_2", content: "14:02" },
          ],
        },
        { role: "user", content: [{ type: "text", text: "Thanks, and tomorrow?" }] },
      ],
    });
  });

  it("parses a recorded tool-use stream delivered in 7-byte slices: text deltas, tool input JSON pieces, stop reason and cached usage", async () => {
    server = await startServer(replay("anthropic-tool-use.sse"));
    client = createLlmClient({ provider: "anthropic", baseUrl: server.url });
    const deltas: string[] = [];
    const result = await client.chat({ model: "claude-sonnet-4-5", messages: conversation, onDelta: (t) => deltas.push(t) });
    expect(deltas.join("")).toBe("Checking the weather — ☀️?");
    expect(result).toMatchObject({
      text: "Checking the weather — ☀️?",
      toolCalls: [{ id: "toolu_01A", name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}' }],
      finishReason: "tool_calls",
      usage: { inputTokens: 1825, outputTokens: 48, cachedInputTokens: 1800 },
      model: "claude-sonnet-4-5-20250929",
      attempts: 1,
    });
  });

  it("maps max_tokens to finishReason length and counts cache writes as input", async () => {
    server = await startServer(replay("anthropic-text.sse", 3));
    client = createLlmClient({ provider: "anthropic", baseUrl: server.url });
    const result = await client.chat({ model: "claude-haiku-4-5", messages: conversation, maxOutputTokens: 2 });
    expect(result).toMatchObject({ text: "Hello there.", finishReason: "length", usage: { inputTokens: 312, outputTokens: 2, cachedInputTokens: 0 } });
    expect(JSON.parse(server.received[0]!.body).max_tokens).toBe(2);
  });

  it("treats a streamed overloaded_error event as llm_unavailable and retries it", async () => {
    const overloaded = replay("anthropic-overloaded.sse");
    const ok = replay("anthropic-text.sse", 64);
    server = await startServer((r, res, i) => (i === 0 ? overloaded(r, res) : ok(r, res)));
    const codes: string[] = [];
    client = createLlmClient({
      provider: "anthropic",
      baseUrl: server.url,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      observer: { onAttempt: (i) => i.error && codes.push(i.error.code) },
    });
    const result = await client.chat({ model: "claude-haiku-4-5", messages: conversation });
    expect(result).toMatchObject({ text: "Hello there.", attempts: 2 });
    expect(codes).toEqual(["llm_unavailable"]);
  });

  it("parses a non-streamed message with text and tool_use blocks", async () => {
    server = await startServer((_r, res) =>
      json(res, 200, {
        id: "msg_9",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5-20250929",
        content: [
          { type: "text", text: "On it." },
          { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Oslo" } },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 5, output_tokens: 9, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
      }),
    );
    client = createLlmClient({ provider: "anthropic", baseUrl: server.url });
    const result = await client.chat({ model: "claude-sonnet-4-5", messages: conversation, stream: false });
    expect(result).toMatchObject({
      text: "On it.",
      toolCalls: [{ id: "toolu_9", name: "get_weather", arguments: '{"city":"Oslo"}' }],
      finishReason: "tool_calls",
      usage: { inputTokens: 105, outputTokens: 9, cachedInputTokens: 100 },
    });
    expect(JSON.parse(server.received[0]!.body).stream).toBeUndefined();
  });

  it("maps Anthropic's 529 overloaded status to a retried llm_unavailable", async () => {
    server = await startServer((_r, res) => json(res, 529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
    client = createLlmClient({ provider: "anthropic", baseUrl: server.url, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    await expect(client.chat({ model: "claude-haiku-4-5", messages: conversation })).rejects.toMatchObject({
      code: "llm_unavailable",
      message: expect.stringContaining("HTTP 529: Overloaded"),
    });
    expect(server.received).toHaveLength(2);
  });
});
