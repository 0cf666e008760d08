import { describe, expect, it } from "vitest";
import { parseDirectives } from "../src/directives.ts";
import { fillerWords } from "../src/reply.ts";
import { postJson, readJson, simulatorFixture, user } from "./helpers.ts";

const start = simulatorFixture();

describe("[[sim ...]] directives", () => {
  it("parses flags, quoted values and JSON args, and strips the directive from the prompt", () => {
    const parsed = parseDirectives('before [[sim reply="a ] b" delay=10 stall args={"k":[1,"x y"]}]] after');
    expect(parsed).toEqual({
      ok: true,
      text: "before after",
      directives: expect.objectContaining({ reply: "a ] b", delayMs: 10, stallAfterChunks: 1, args: '{"k":[1,"x y"]}' }),
    });
  });

  it("rejects unknown keys and malformed values instead of ignoring them", () => {
    const parsed = parseDirectives("[[sim dealy=5 words=lots]]");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain("dealy");
      expect(parsed.message).toContain("words");
    }
  });

  it("answers a mistyped directive with 400 so the test author sees it", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim eror=500]]")] });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.message).toContain("eror");
  });

  it("leaves the directive out of the echoed text", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("hi [[sim delay=1]] there")] });
    expect((await readJson(res)).choices[0].message.content).toBe("Echo: hi there (saw 1 messages)");
  });

  it("replies with fixed text or a deterministic number of words", async () => {
    const sim = await start();
    const fixed = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user('[[sim reply="All done."]]')] });
    expect((await readJson(fixed)).choices[0].message.content).toBe("All done.");
    const many = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim words=500]]")] });
    const text: string = (await readJson(many)).choices[0].message.content;
    expect(text.split(" ")).toHaveLength(500);
    expect(text).toBe(fillerWords(500));
  });

  it("answers error=429 with a Retry-After header and an OpenAI-style rate-limit body", async () => {
    const sim = await start();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim error=429 retry-after=2]]")] });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await readJson(res)).toEqual({
      error: { message: expect.any(String), type: "requests", param: null, code: "rate_limit_exceeded" },
    });
  });

  it("fails the same request fail-first times, then succeeds, counting each conversation separately", async () => {
    const sim = await start();
    const send = (text: string) => postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user(text)] });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send("flaky [[sim fail-first=2 error=500]]")).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect((await send("other [[sim fail-first=2 error=500]]")).status).toBe(500);

    sim.reset();
    expect(sim.requests).toEqual([]);
    expect((await send("flaky [[sim fail-first=2 error=500]]")).status).toBe(500);
  });

  it("delays a non-streamed answer by at least delay milliseconds", async () => {
    const sim = await start();
    const began = performance.now();
    const res = await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim delay=150]]")] });
    await readJson(res);
    expect(performance.now() - began).toBeGreaterThanOrEqual(150);
  });

  it("holds the first streamed chunk until first and finishes the stream no earlier than delay", async () => {
    const sim = await start();
    const began = performance.now();
    const res = await postJson(`${sim.url}/chat/completions`, {
      model: "m",
      stream: true,
      messages: [user("pace me [[sim delay=200 first=80]]")],
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(performance.now() - began).toBeGreaterThanOrEqual(80);
    while (!(await reader.read()).done) {}
    expect(performance.now() - began).toBeGreaterThanOrEqual(200);
  });

  it("applies the server-wide latency to requests without a delay directive", async () => {
    const sim = await start({ latencyMs: 120 });
    const began = performance.now();
    await readJson(await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("hi")] }));
    expect(performance.now() - began).toBeGreaterThanOrEqual(120);
  });
});
