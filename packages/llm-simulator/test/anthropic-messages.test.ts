import { describe, expect, it } from "vitest";
import { parseSse, postJson, readJson, simulatorFixture, user } from "./helpers.ts";

const start = simulatorFixture();

describe("POST /v1/messages", () => {
  it("answers in the Messages shape and counts the system prompt like an OpenAI system message", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/messages`, {
      model: "claude-x",
      max_tokens: 100,
      system: "be brief",
      messages: [user("first"), { role: "assistant", content: "ok" }, { role: "user", content: [{ type: "text", text: "hello" }] }],
    });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [{ type: "text", text: "Echo: hello (saw 4 messages)" }],
      stop_reason: "end_turn",
      usage: { cache_read_input_tokens: 0 },
    });
    expect(body.id).toMatch(/^msg_/);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    expect(body.usage.output_tokens).toBeGreaterThan(0);
    expect(sim.requests[0]?.messages).toHaveLength(3);
  });

  it("streams the Messages event sequence with text deltas that reassemble to the reply", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/messages`, {
      model: "claude-x",
      max_tokens: 100,
      stream: true,
      messages: [user("stream this please")],
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("message_start");
    expect(names[1]).toBe("content_block_start");
    expect(names.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data.every((d, i) => d.type === names[i])).toBe(true);
    const text = data
      .filter((d) => d.type === "content_block_delta")
      .map((d) => {
        expect(d.delta.type).toBe("text_delta");
        return d.delta.text;
      })
      .join("");
    expect(text).toBe("Echo: stream this please (saw 1 messages)");
    expect(data.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: expect.any(Number) } });
  });

  it("stops at max_tokens with stop_reason max_tokens, streamed or not", async () => {
    const sim = await start();
    const request = { model: "claude-x", max_tokens: 10, messages: [user("y".repeat(400))] };
    const body = await readJson(await postJson(`${sim.url}/messages`, request));
    // The simulator counts 4 characters a token.
    expect(body).toMatchObject({ content: [{ type: "text", text: `Echo: ${"y".repeat(34)}` }], stop_reason: "max_tokens", usage: { output_tokens: 10 } });
    const events = parseSse(await (await postJson(`${sim.url}/messages`, { ...request, stream: true })).text()).map((e) => JSON.parse(e.data));
    expect(events.filter((d) => d.type === "content_block_delta").map((d) => d.delta.text).join("")).toBe(`Echo: ${"y".repeat(34)}`);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "max_tokens" } });
  });

  it("streams scripted tool_use blocks and answers the tool_result follow-up with text", async () => {
    const sim = await start();
    const ask = user('[[sim tool=lookup args={"id":"a-rather-long-identifier"}]]');
    const res = await postJson(`${sim.url}/messages`, { model: "c", max_tokens: 10, stream: true, messages: [ask] });
    const data = parseSse(await res.text()).map((e) => JSON.parse(e.data));
    const start0 = data.find((d) => d.type === "content_block_start");
    expect(start0.content_block).toEqual({ type: "tool_use", id: "call_1_0", name: "lookup", input: {} });
    const json = data
      .filter((d) => d.type === "content_block_delta")
      .map((d) => {
        expect(d.delta.type).toBe("input_json_delta");
        return d.delta.partial_json;
      });
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(""))).toEqual({ id: "a-rather-long-identifier" });
    expect(data.find((d) => d.type === "message_delta").delta.stop_reason).toBe("tool_use");

    const followUp = await postJson(`${sim.url}/messages`, {
      model: "c",
      max_tokens: 10,
      messages: [
        ask,
        { role: "assistant", content: [{ type: "tool_use", id: "call_1_0", name: "lookup", input: { id: "a" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1_0", content: [{ type: "text", text: "found" }] }] },
      ],
    });
    expect(await readJson(followUp)).toMatchObject({
      content: [{ type: "text", text: "Tool results: found" }],
      stop_reason: "end_turn",
    });
  });

  it("answers non-streamed tool_use blocks with parsed input", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/messages`, { model: "c", max_tokens: 10, messages: [user('[[sim tool=t args={"n":1}]]')] });
    expect(await readJson(res)).toMatchObject({
      content: [{ type: "tool_use", id: "call_1_0", name: "t", input: { n: 1 } }],
      stop_reason: "tool_use",
    });
  });

  it("reports scripted errors and bad requests in the Anthropic error shape", async () => {
    const sim = await start();
    const limited = await postJson(`${sim.url}/messages`, { model: "c", max_tokens: 10, messages: [user("[[sim error=429]]")] });
    expect(limited.status).toBe(429);
    expect(await readJson(limited)).toEqual({ type: "error", error: { type: "rate_limit_error", message: expect.any(String) } });
    const bad = await postJson(`${sim.url}/messages`, "nope");
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.type).toBe("invalid_request_error");
  });

  it("requires the API key in x-api-key when one is configured", async () => {
    const sim = await start({ apiKey: "sk-test" });
    const body = { model: "c", max_tokens: 10, messages: [user("hi")] };
    const denied = await postJson(`${sim.url}/messages`, body);
    expect(denied.status).toBe(401);
    expect((await readJson(denied)).error.type).toBe("authentication_error");
    const allowed = await postJson(`${sim.url}/messages`, body, { headers: { "x-api-key": "sk-test" } });
    expect(allowed.status).toBe(200);
  });
});
