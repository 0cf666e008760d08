import { Agent, Pool, request } from "undici";
import { describe, expect, it } from "vitest";
import { postJson, readJson, simulatorFixture, user } from "./helpers.ts";

const start = simulatorFixture();

describe("simulator lifecycle", () => {
  it("keeps a stalled stream open until the client aborts, then records it as aborted", async () => {
    const sim = await start();
    const controller = new AbortController();
    const res = await postJson(
      `${sim.url}/chat/completions`,
      { model: "m", stream: true, messages: [user("[[sim stall]]")] },
      { signal: controller.signal },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    expect(sim.inFlight()).toBe(1);
    expect(sim.requests[0]?.endedAt).toBeUndefined();

    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expect.poll(() => sim.requests[0]?.aborted).toBe(true);
    await expect.poll(() => sim.inFlight()).toBe(0);
    expect(sim.requests[0]?.endedAt).toBeGreaterThanOrEqual(sim.requests[0]?.startedAt ?? Infinity);
  });

  it("stalls after the requested number of chunks", async () => {
    const sim = await start();
    const controller = new AbortController();
    const res = await postJson(
      `${sim.url}/chat/completions`,
      { model: "m", stream: true, messages: [user("one two three four [[sim stall-after=3]]")] },
      { signal: controller.signal },
    );
    const reader = res.body!.getReader();
    let text = "";
    while ((text.match(/^data: /gm) ?? []).length < 3) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`stream ended instead of stalling: ${text}`);
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"content":"Echo: "');
    expect(text).toContain('"content":"one "');
    expect(text).not.toContain("[DONE]");
    controller.abort();
    await expect.poll(() => sim.inFlight()).toBe(0);
  });

  it("never answers a stalled non-streaming request and marks it aborted when the client leaves", async () => {
    const sim = await start();
    const controller = new AbortController();
    const pending = postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim stall]]")] }, { signal: controller.signal });
    await expect.poll(() => sim.requests.length).toBe(1);
    expect(sim.inFlight()).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => sim.requests[0]?.aborted).toBe(true);
    expect(sim.requests[0]?.status).toBe(0);
    expect(sim.inFlight()).toBe(0);
  });

  it("closes promptly while streams are stalled and requests are waiting on long delays", async () => {
    const sim = await start();
    const stalled = postJson(`${sim.url}/chat/completions`, { model: "m", stream: true, messages: [user("[[sim stall]]")] });
    const slow = postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user("[[sim delay=600000]]")] }).then(
      () => "answered",
      () => "failed",
    );
    const reader = (await stalled).body!.getReader();
    await expect.poll(() => sim.inFlight()).toBe(2);

    await sim.close();
    expect(sim.inFlight()).toBe(0);
    expect(await slow).toBe("failed");
    await expect(readToEnd(reader)).rejects.toThrow();
    expect(sim.requests.every((r) => r.aborted && r.endedAt !== undefined)).toBe(true);
  });

  it("rejects requests without the configured bearer key with 401", async () => {
    const sim = await start({ apiKey: "sk-test" });
    const body = { model: "m", messages: [user("hi")] };
    const denied = await postJson(`${sim.url}/chat/completions`, body);
    expect(denied.status).toBe(401);
    expect((await readJson(denied)).error.code).toBe("invalid_api_key");
    const wrong = await postJson(`${sim.url}/chat/completions`, body, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const allowed = await postJson(`${sim.url}/chat/completions`, body, { headers: { authorization: "Bearer sk-test" } });
    expect(allowed.status).toBe(200);
    expect((await fetch(`${sim.url}/models`)).status).toBe(401);
  });

  it("serves several keep-alive requests from one undici Pool over a single connection", async () => {
    const sim = await start();
    // One connection slot: a server that closed idle or finished connections would force reconnects.
    // (An unbounded Agent may open a second socket when a request is issued in the same tick the
    // previous body ended, before undici has released the first one; that is client-side.)
    const pool = new Pool(sim.origin, { connections: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await pool.request({
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", stream: i % 2 === 0, messages: [user(`turn ${i}`)] }),
        });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
      expect(sim.requests).toHaveLength(5);
      expect(sim.connectionsAccepted()).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("answers hundreds of concurrent paced streams", async () => {
    const sim = await start({ latencyMs: 100 });
    const agent = new Agent({ connections: 400 });
    try {
      const texts = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const res = await request(`${sim.url}/chat/completions`, {
            dispatcher: agent,
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "m", stream: true, messages: [user(`request ${i} [[sim words=50]]`)] }),
          });
          return res.body.text();
        }),
      );
      expect(texts.every((t) => t.endsWith("data: [DONE]\n\n"))).toBe(true);
      await expect.poll(() => sim.inFlight()).toBe(0);
      expect(sim.requests.filter((r) => r.status === 200)).toHaveLength(300);
    } finally {
      await agent.close();
    }
  });

  it("keeps only the most recent recordLimit requests", async () => {
    const sim = await start({ recordLimit: 3 });
    for (let i = 0; i < 5; i++) await (await postJson(`${sim.url}/chat/completions`, { model: "m", messages: [user(`${i}`)] })).text();
    expect(sim.requests.map((r) => r.id)).toEqual([3, 4, 5]);
  });

  it("serves the model list, a health check and JSON 404s", async () => {
    const sim = await start();
    expect(await readJson(await fetch(`${sim.url}/models`))).toMatchObject({ object: "list", data: [{ id: "turnq-sim", object: "model" }] });
    const health = await fetch(`${sim.origin}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok"]);
    const missing = await fetch(`${sim.url}/embeddings`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).error.message).toContain("/v1/embeddings");
  });
});

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  while (!(await reader.read()).done) {}
}
