import { describe, expect, it } from "vitest";
import { parseSse, postJson, readJson, simulatorFixture, user } from "./helpers.ts";

const start = simulatorFixture();

interface Chunk {
  object: string;
  choices: { delta: { role?: string; content?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}
interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments?: string };
}

async function streamChunks(res: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const events = parseSse(await res.text());
  const done = events.at(-1)?.data === "[DONE]";
  return { chunks: events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Chunk), done };
}

describe("POST /v1/chat/completions", () => {
  it("echoes the last user message and counts every message, system included", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, {
      model: "gpt-x",
      messages: [{ role: "system", content: "be brief" }, user("first"), { role: "assistant", content: "ok" }, user("hello there")],
    });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "gpt-x",
      choices: [{ index: 0, message: { role: "assistant", content: "Echo: hello there (saw 4 messages)" }, finish_reason: "stop" }],
      usage: { prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(sim.requests).toMatchObject([{ id: 1, path: "/v1/chat/completions", model: "gpt-x", stream: false, status: 200, aborted: false }]);
    expect(sim.requests[0]?.endedAt).toBeGreaterThanOrEqual(sim.requests[0]?.startedAt ?? Infinity);
  });

  it("reads text from content-part arrays and ignores unknown request fields", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, {
      model: "m",
      temperature: 0.2,
      some_future_field: { x: 1 },
      messages: [{ role: "user", content: [{ type: "text", text: "from parts" }], name: "bob" }],
    });
    expect((await readJson(res)).choices[0].message.content).toBe("Echo: from parts (saw 1 messages)");
  });

  it("streams word-sized chunks that reassemble to the non-streamed text, then usage and [DONE]", async () => {
    const sim = await start();
    const messages = [user("tell me something long enough to split into several words")];
    const whole = await readJson(await postJson(`${sim.url}/chat/completions`, { model: "m", messages }));
    const res = await postJson(`${sim.url}/chat/completions`, {
      model: "m",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, done } = await streamChunks(res);

    expect(done).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const content = chunks.slice(1, -2).map((c) => c.choices[0]?.delta.content);
    expect(content.length).toBeGreaterThan(5);
    expect(content.join("")).toBe(whole.choices[0].message.content);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual(whole.usage);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
  });

  it("stops at the request's max_tokens (or max_completion_tokens) with finish_reason length, as a model does", async () => {
    const sim = await start();
    const long = user("x".repeat(400));
    const capped = await readJson(await postJson(`${sim.url}/chat/completions`, { model: "m", max_tokens: 10, messages: [long] }));
    // The simulator counts 4 characters a token.
    expect(capped.choices[0]).toMatchObject({ message: { content: `Echo: ${"x".repeat(34)}` }, finish_reason: "length" });
    expect(capped.usage.completion_tokens).toBe(10);
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", max_completion_tokens: 10, messages: [long], stream: true });
    const { chunks } = await streamChunks(res);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(`Echo: ${"x".repeat(34)}`);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("length");
    const roomy = await readJson(await postJson(`${sim.url}/chat/completions`, { model: "m", max_tokens: 1000, messages: [long] }));
    expect(roomy.choices[0]).toMatchObject({ message: { content: `Echo: ${"x".repeat(400)} (saw 1 messages)` }, finish_reason: "stop" });
  });

  it("omits the usage chunk unless stream_options.include_usage is set", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("hi")], stream: true });
    const { chunks, done } = await streamChunks(res);
    expect(done).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.some((c) => c.usage !== undefined)).toBe(false);
  });

  it("answers with tool calls when scripted, then turns the tool results into a final text reply", async () => {
    const sim = await start();
    const ask = user('weather? [[sim tools=get_weather,get_time args={"city":"Paris"}]]');
    const first = await readJson(await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [ask] }));
    const message = first.choices[0].message;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(message.content).toBeNull();
    expect(message.tool_calls).toEqual([
      { id: "call_1_0", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_1_1", type: "function", function: { name: "get_time", arguments: '{"city":"Paris"}' } },
    ]);

    const followUp = await postJson(`${sim.url}/chat/completions`, {
      model: "m",
      messages: [
        ask,
        message,
        { role: "tool", tool_call_id: "call_1_0", content: "sunny" },
        { role: "tool", tool_call_id: "call_1_1", content: "x".repeat(300) },
      ],
    });
    const final = (await readJson(followUp)).choices[0];
    expect(final.finish_reason).toBe("stop");
    expect(final.message.content).toBe(`Tool results: sunny | ${"x".repeat(200)}`);
  });

  it("streams tool calls with deterministic ids and arguments split across chunks", async () => {
    const sim = await start();
    const args = '{"query":"a fairly long search query","limit":10}';
    const res = await postJson(`${sim.url}/chat/completions`, {
      model: "m",
      stream: true,
      messages: [user(`[[sim tool=search args=${args}]]`)],
    });
    const { chunks, done } = await streamChunks(res);
    expect(done).toBe(true);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toEqual({ index: 0, id: "call_1_0", type: "function", function: { name: "search", arguments: "" } });
    const argumentDeltas = deltas.slice(1).map((d) => d.function.arguments);
    expect(argumentDeltas.length).toBeGreaterThan(1);
    expect(argumentDeltas.join("")).toBe(args);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("rejects a body that is not JSON with an OpenAI-style 400", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, "{not json");
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({
      error: { message: expect.stringContaining("JSON"), type: "invalid_request_error", param: null, code: null },
    });
    expect(sim.requests[0]?.status).toBe(400);
  });

  it("rejects a request without messages with 400 naming the field", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m" });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.message).toContain("messages");
  });

  it("rejects a body over 4 MiB with 413", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("x".repeat(5 * 1024 * 1024))] });
    expect(res.status).toBe(413);
    expect((await readJson(res)).error.code).toBe("request_too_large");
  });
});
