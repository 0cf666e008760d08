import { afterEach, describe, expect, it } from "vitest";
import { TurnqError } from "@turnq/core";
import { createLlmClient } from "../src/index.ts";
import type { LlmClient } from "../src/index.ts";
import { json, openAiTextStream, startServer } from "./helpers/test-server.ts";
import type { TestServer } from "./helpers/test-server.ts";

let server: TestServer | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const req = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] };
const completion = { model: "gpt-4o", choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "ok" } }], usage: { prompt_tokens: 1, completion_tokens: 1 } };

describe("connection pool", () => {
  it("warm() opens pool.connections connections and 1,000 sequential calls afterwards open no new ones", async () => {
    server = await startServer((r, res) => {
      if (r.method === "GET") return json(res, 401, { error: { message: "no key" } }); // warming tolerates 4xx
      if (JSON.parse(r.body).stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.end(openAiTextStream("ok"));
      }
      json(res, 200, completion);
    });
    client = createLlmClient({ provider: "openai", baseUrl: server.url, pool: { connections: 4 } });
    expect(client.status().connectionsWarm).toBe(false);
    await client.warm();
    expect(server.connections()).toBe(4);
    expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill("GET /v1/models"));
    expect(client.status().connectionsWarm).toBe(true);

    for (let i = 0; i < 1_000; i++) {
      const result = await client.chat({ ...req, stream: i % 2 === 0 });
      expect(result.text).toBe("ok");
    }
    expect(server.connections()).toBe(4);
    expect(server.received).toHaveLength(1_004);
  });

  it("warm() throws llm_unavailable when the provider cannot be reached", async () => {
    server = await startServer((_r, res) => json(res, 200, {}));
    const url = server.url;
    await server.close();
    server = undefined;
    client = createLlmClient({ provider: "openai", baseUrl: url, pool: { connections: 2 } });
    await expect(client.warm()).rejects.toMatchObject({ code: "llm_unavailable" });
    expect(client.status().connectionsWarm).toBe(false);
  });
});

describe("circuit breaker", () => {
  it("opens after N consecutive failures, fails fast without touching the server, half-opens after openMs and closes on success", async () => {
    let healthy = false;
    server = await startServer((_r, res) => (healthy ? json(res, 200, completion) : json(res, 503, { error: { message: "down" } })));
    let now = 1_000_000;
    let rejections = 0;
    client = createLlmClient({
      provider: "openai",
      baseUrl: server.url,
      retry: { maxAttempts: 1 },
      breaker: { failureThreshold: 3, openMs: 10_000 },
      clock: () => now,
      observer: { onBreakerReject: () => rejections++ },
    });
    for (let i = 0; i < 3; i++) await expect(client.chat({ ...req, stream: false })).rejects.toMatchObject({ code: "llm_unavailable" });
    expect(client.status().breaker).toBe("open");

    now += 4_000;
    const fast = await client.chat({ ...req, stream: false }).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(TurnqError);
    expect(fast).toMatchObject({ code: "llm_unavailable", retryAfterMs: 6_000, details: { breaker: "open" } });
    expect(server.received).toHaveLength(3);
    expect(rejections).toBe(1);

    now += 6_000;
    expect(client.status().breaker).toBe("half_open");
    healthy = true;
    await expect(client.chat({ ...req, stream: false })).resolves.toMatchObject({ text: "ok" });
    expect(client.status().breaker).toBe("closed");
    expect(server.received).toHaveLength(4);
  });

  it("reopens when the half-open trial fails, and ignores 4xx rejections when counting failures", async () => {
    let status = 503;
    server = await startServer((_r, res) => json(res, status, { error: { message: "x" } }));
    let now = 0;
    client = createLlmClient({ provider: "openai", baseUrl: server.url, retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, openMs: 1_000 }, clock: () => now });
    const call = () => client!.chat({ ...req, stream: false }).catch((e: TurnqError) => e.code);
    expect(await call()).toBe("llm_unavailable");
    status = 400;
    expect(await call()).toBe("llm_rejected"); // proves the provider is up: resets the count
    status = 503;
    expect(await call()).toBe("llm_unavailable");
    expect(client.status().breaker).toBe("closed");
    expect(await call()).toBe("llm_unavailable");
    expect(client.status().breaker).toBe("open");
    now += 1_000;
    expect(await call()).toBe("llm_unavailable"); // the trial
    expect(client.status().breaker).toBe("open");
    expect(server.received).toHaveLength(5);
  });
});
