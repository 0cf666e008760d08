import { inspect } from "node:util";
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { TurnqError } from "@turnq/core";
import { createLlmClient } from "../src/index.ts";
import type { LlmClient, LlmClientOptions } from "../src/index.ts";
import { json, openAiChunk, openAiTextStream, sseHeaders, startServer } from "./helpers/test-server.ts";
import type { TestServer } from "./helpers/test-server.ts";

let server: TestServer | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const req = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] };
const fastRetry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 5_000 };

function make(extra: Partial<LlmClientOptions> = {}): LlmClient {
  if (!server) throw new Error("start the server first");
  client = createLlmClient({ provider: "openai", baseUrl: server.url, apiKey: "sk-test", retry: fastRetry, ...extra });
  return client;
}

async function caught(p: Promise<unknown>): Promise<TurnqError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TurnqError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("retries", () => {
  it("waits exactly as long as Retry-After says before retrying a 429", async () => {
    server = await startServer((_r, res, i) => {
      if (i === 0) return json(res, 429, { error: { message: "slow down" } }, { "retry-after": "1" });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(openAiTextStream("ok"));
    });
    const attempts: { attempt: number; delayMs: number; code?: string }[] = [];
    const result = await make({ observer: { onAttempt: (i) => attempts.push({ attempt: i.attempt, delayMs: i.delayMs, ...(i.error ? { code: i.error.code } : {}) }) } }).chat(req);
    expect(result.text).toBe("ok");
    expect(result.attempts).toBe(2);
    expect(server.received[1]!.at - server.received[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(attempts).toEqual([
      { attempt: 1, delayMs: 0 },
      { attempt: 2, delayMs: 1_000, code: "llm_rate_limited" },
    ]);
  });

  it("gives up at once with retryAfterMs when Retry-After exceeds the retry budget, so the queue can retry the turn later", async () => {
    server = await startServer((_r, res) => json(res, 429, { error: { message: "quota" } }, { "retry-after-ms": "90000" }));
    const err = await caught(make().chat(req));
    expect(err.code).toBe("llm_rate_limited");
    expect(err.retryAfterMs).toBe(90_000);
    expect(err.message).toContain("it will be retried");
    expect(server.received).toHaveLength(1);
  });

  it("retries 500, 500 and returns the third attempt's answer", async () => {
    server = await startServer((_r, res, i) => {
      if (i < 2) return json(res, 500, { error: { message: "boom" } });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(openAiTextStream("third time"));
    });
    const result = await make().chat(req);
    expect(result).toMatchObject({ text: "third time", attempts: 3, finishReason: "stop" });
    expect(server.received).toHaveLength(3);
  });

  it("does not retry a 400 and reports it as llm_rejected with the provider's message", async () => {
    server = await startServer((_r, res) => json(res, 400, { error: { message: "max_tokens is too large" } }));
    const err = await caught(make().chat(req));
    expect(err.code).toBe("llm_rejected");
    expect(err.message).toContain("HTTP 400: max_tokens is too large");
    expect(err.details).toMatchObject({ status: 400 });
    expect(server.received).toHaveLength(1);
  });

  it("fails with llm_unavailable after all attempts when the connection is refused", async () => {
    const port = await freePort();
    const seen: number[] = [];
    client = createLlmClient({
      provider: "openai",
      baseUrl: `http://127.0.0.1:${port}/v1`,
      retry: { ...fastRetry, maxAttempts: 3 },
      observer: { onAttempt: (i) => seen.push(i.attempt) },
    });
    const err = await caught(client.chat(req));
    expect(err.code).toBe("llm_unavailable");
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.details).toMatchObject({ attempts: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("does not retry once a text delta reached onDelta", async () => {
    server = await startServer((_r, res) => {
      sseHeaders(res);
      res.write(openAiChunk({ content: "partial" }));
      setImmediate(() => res.socket?.destroy());
    });
    const deltas: string[] = [];
    const err = await caught(make().chat({ ...req, onDelta: (t) => deltas.push(t) }));
    expect(err.code).toBe("llm_unavailable");
    expect(deltas).toEqual(["partial"]);
    expect(server.received).toHaveLength(1);
  });

  it("retries after a delta when the caller will discard partial output", async () => {
    server = await startServer((_r, res, i) => {
      sseHeaders(res);
      if (i === 0) {
        res.write(openAiChunk({ content: "partial" }));
        setImmediate(() => res.socket?.destroy());
        return;
      }
      res.end(openAiTextStream("whole"));
    });
    const deltas: string[] = [];
    const result = await make().chat({ ...req, onDelta: (t) => deltas.push(t), discardPartialOnRetry: true });
    expect(result).toMatchObject({ text: "whole", attempts: 2 });
    expect(deltas).toEqual(["partial", "whole"]);
  });
});

describe("deadlines", () => {
  it("times out a slow first byte as llm_timeout naming the firstByte deadline", async () => {
    server = await startServer(() => {}); // never answers
    const err = await caught(make({ deadlines: { firstByteMs: 100 }, retry: { ...fastRetry, maxAttempts: 2 } }).chat(req));
    expect(err.code).toBe("llm_timeout");
    expect(err.details).toMatchObject({ deadline: "firstByte", timeoutMs: 100, attempts: 2 });
    expect(err.message).toContain("100 ms");
    expect(server.received).toHaveLength(2);
  });

  it("times out a stream that stalls mid-way (idle) and closes the socket", async () => {
    server = await startServer((_r, res) => {
      sseHeaders(res);
      res.write(openAiChunk({ role: "assistant" })); // then silence
    });
    const err = await caught(make({ deadlines: { idleMs: 100 }, retry: { ...fastRetry, maxAttempts: 1 } }).chat(req));
    expect(err.code).toBe("llm_timeout");
    expect(err.details).toMatchObject({ deadline: "idle", timeoutMs: 100 });
    await expect.poll(() => server!.closedSockets()).toBe(1);
  });

  it("caps the whole call with the total deadline even while chunks keep arriving", async () => {
    server = await startServer((_r, res) => {
      sseHeaders(res);
      const t = setInterval(() => res.write(": ping\n\n"), 20);
      res.on("close", () => clearInterval(t));
    });
    const err = await caught(make({ deadlines: { totalMs: 200, idleMs: 1_000 } }).chat(req));
    expect(err.details).toMatchObject({ deadline: "total", timeoutMs: 200 });
    expect(server.received).toHaveLength(1);
  });

  it("stops at once with the caller's abort reason and does not retry", async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    server = await startServer(() => arrived());
    const controller = new AbortController();
    const reason = new Error("turn cancelled");
    const pending = make().chat({ ...req, signal: controller.signal });
    await requestArrived;
    const t0 = Date.now();
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(server.received).toHaveLength(1);
    await expect.poll(() => server!.closedSockets()).toBe(1);
  });
});

describe("errors never leak the API key", () => {
  const key = "sk-live-SECRET-0123456789abcdef";
  const leaks = (e: unknown) => JSON.stringify(e).includes(key) || inspect(e, { depth: 10 }).includes(key) || String(e).includes(key);

  it("redacts a key the provider echoes back in a 401 body and says to check LLM_API_KEY", async () => {
    server = await startServer((r, res) => json(res, 401, { error: { message: `Incorrect API key provided: ${String(r.headers["authorization"]).slice(7)}` } }));
    client = createLlmClient({ provider: "openai", baseUrl: server.url, apiKey: key, retry: fastRetry });
    const err = await caught(client.chat(req));
    expect(server.received[0]!.headers["authorization"]).toBe(`Bearer ${key}`);
    expect(err.code).toBe("llm_rejected");
    expect(err.message).toContain("check LLM_API_KEY");
    expect(leaks(err)).toBe(false);
  });

  it("keeps the key out of network, timeout and rate-limit errors", async () => {
    server = await startServer((r, res, i) => {
      if (i === 0) return json(res, 429, { error: { message: `key ${String(r.headers["authorization"])} over quota` } }, { "retry-after": "3600" });
      // second call: hang for the firstByte deadline
    });
    client = createLlmClient({ provider: "openai", baseUrl: server.url, apiKey: key, retry: { ...fastRetry, maxAttempts: 1 }, deadlines: { firstByteMs: 50 } });
    const rateLimited = await caught(client.chat(req));
    const timedOut = await caught(client.chat(req));
    const port = await freePort();
    const refused = createLlmClient({ provider: "anthropic", baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: key, retry: { ...fastRetry, maxAttempts: 1 } });
    const network = await caught(refused.chat(req));
    await refused.close();
    expect([rateLimited.code, timedOut.code, network.code]).toEqual(["llm_rate_limited", "llm_timeout", "llm_unavailable"]);
    for (const e of [rateLimited, timedOut, network]) expect(leaks(e)).toBe(false);
  });
});
