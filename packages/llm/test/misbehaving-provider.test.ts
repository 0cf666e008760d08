import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TurnqError } from "@turnq/core";
import { buildConnector } from "undici";
import { createLlmClient } from "../src/index.ts";
import type { LlmClient, LlmClientOptions } from "../src/index.ts";
import { connectWithin } from "../src/dispatcher.ts";
import { json, openAiTextStream, startServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Providers that misbehave at the socket level: every wait of a call ends at a deadline of our own,
 * a caller's abort ends it at once, and the client stays usable afterwards.
 */

let server: TestServer | undefined;
let tcp: { server: Server; sockets: Socket[] } | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  if (tcp) {
    for (const s of tcp.sockets) s.destroy();
    await new Promise<void>((r) => tcp!.server.close(() => r()));
  }
  client = server = tcp = undefined;
});

const req = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] };
const oneAttempt = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 5_000 };

/** A TCP server that accepts connections and then does whatever `onSocket` says (often nothing). */
async function startTcp(onSocket: (s: Socket) => void = () => {}): Promise<string> {
  const sockets: Socket[] = [];
  const s = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  tcp = { server: s, sockets };
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/v1`;
}

function make(baseUrl: string, extra: Partial<LlmClientOptions> = {}): LlmClient {
  client = createLlmClient({ provider: "openai", baseUrl, apiKey: "sk-test-key-0123456789", retry: oneAttempt, ...extra });
  return client;
}

async function timed<T>(p: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
    return { error: undefined, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

function healthy(res: Parameters<Parameters<typeof startServer>[0]>[1]): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(openAiTextStream("ok"));
}

describe("a provider that misbehaves", () => {
  it("accepts the connection and never answers: llm_timeout at the first-byte deadline", async () => {
    const url = await startTcp();
    const { error, ms } = await timed(make(url, { deadlines: { firstByteMs: 200 } }).chat(req));
    expect(error).toBeInstanceOf(TurnqError);
    expect(error).toMatchObject({ code: "llm_timeout", details: { deadline: "firstByte" } });
    expect(ms).toBeLessThan(10_000);
  });

  it("answers headers, then stalls the JSON body: llm_timeout at the idle deadline", async () => {
    server = await startServer((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"choices":');
    });
    const { error } = await timed(make(server.url, { deadlines: { idleMs: 200 } }).chat({ ...req, stream: false }));
    expect(error).toMatchObject({ code: "llm_timeout", details: { deadline: "idle" } });
  });

  it("trickles a byte at a time forever: the whole call ends at the total deadline", async () => {
    server = await startServer((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const t = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(t));
    });
    const { error } = await timed(make(server.url, { deadlines: { totalMs: 400, idleMs: 1_000 } }).chat({ ...req, stream: false }));
    expect(error).toMatchObject({ code: "llm_timeout", details: { deadline: "total" } });
  });

  it("resets every connection: llm_unavailable, and the same client works once the provider recovers", async () => {
    let reset = true;
    server = await startServer((_r, res) => void (reset ? res.socket?.destroy() : healthy(res)));
    const c = make(server.url);
    const { error } = await timed(c.chat(req));
    expect(error).toMatchObject({ code: "llm_unavailable" });
    reset = false;
    expect((await c.chat(req)).text).toBe("ok");
  });

  it("a call queued behind a stalled connection stops at once when its caller aborts (undici alone would not settle it)", async () => {
    let arrived!: () => void;
    const first = new Promise<void>((r) => (arrived = r));
    server = await startServer(() => arrived()); // never answers
    const c = make(server.url, { pool: { connections: 1 }, deadlines: { firstByteMs: 60_000 } });
    const stuck = c.chat(req).catch((e: unknown) => e);
    await first;
    const controller = new AbortController();
    const queued = timed(c.chat({ ...req, signal: controller.signal }));
    const reason = new Error("turn cancelled");
    controller.abort(reason);
    const { error, ms } = await queued;
    expect(error).toBe(reason);
    expect(ms).toBeLessThan(2_000);
    // Closing the client does not wait for the stalled request either.
    const closing = await timed(c.close());
    expect(closing.ms).toBeLessThan(5_000);
    expect(await stuck).toBeInstanceOf(Error);
  });

  it("a call queued behind a stalled connection ends at its own first-byte deadline", async () => {
    server = await startServer(() => {});
    const c = make(server.url, { pool: { connections: 1 }, deadlines: { firstByteMs: 300 } });
    const results = await Promise.all([timed(c.chat(req)), timed(c.chat(req))]);
    for (const r of results) expect(r.error).toMatchObject({ code: "llm_timeout", details: { deadline: "firstByte" } });
  });

  it("holds the connect deadline with a timer of its own even when the connector never calls back", async () => {
    const never: buildConnector.connector = () => {};
    const connect = connectWithin(never, 150);
    const t0 = performance.now();
    const err = await new Promise<Error | null>((resolve) => connect({ hostname: "10.0.0.1", protocol: "http:", port: "80" }, (...args) => resolve(args[0])));
    expect(err).toMatchObject({ code: "llm_timeout", details: { deadline: "connect", timeoutMs: 150 } });
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("closes a socket that connects after the connect deadline gave up on it", async () => {
    const url = new URL(await startTcp());
    let late!: (s: import("node:net").Socket) => void;
    const connected = new Promise<import("node:net").Socket>((r) => (late = r));
    const slow: buildConnector.connector = (opts, cb) => {
      setTimeout(() => buildConnector({})(opts, (...args) => {
        if (args[1]) late(args[1]);
        cb(...args);
      }), 300);
    };
    const connect = connectWithin(slow, 50);
    const err = await new Promise<Error | null>((resolve) => connect({ hostname: url.hostname, protocol: "http:", port: url.port }, (...args) => resolve(args[0])));
    expect(err).toMatchObject({ code: "llm_timeout" });
    const socket = await connected;
    await expect.poll(() => socket.destroyed).toBe(true);
  });
});

describe("warm-up", () => {
  it("opens at most 4 connections whatever the pool size, and a 401 still counts as warm", async () => {
    server = await startServer((r, res) => (r.method === "GET" ? json(res, 401, { error: { message: "no" } }) : healthy(res)));
    const c = make(server.url, { pool: { connections: 200 } });
    await c.warm();
    expect(server.connections()).toBe(4);
    expect(c.status().connectionsWarm).toBe(true);
  });

  it("fails fast against a provider that never answers, and the next call on the same client completes", async () => {
    let answering = false;
    server = await startServer((r, res) => {
      if (answering) return r.method === "GET" ? json(res, 200, { data: [] }) : healthy(res);
    });
    const c = make(server.url, { pool: { connections: 8 }, warm: { timeoutMs: 200 } });
    const { error, ms } = await timed(c.warm());
    expect(error).toMatchObject({ code: "llm_timeout" });
    expect(ms).toBeLessThan(5_000);
    expect(server.received.length).toBeLessThanOrEqual(4);
    answering = true;
    expect((await c.chat(req)).text).toBe("ok");
  });

  it("a warm-up whose connections are reset leaves the client usable", async () => {
    let reset = true;
    server = await startServer((_r, res) => void (reset ? res.socket?.destroy() : healthy(res)));
    const c = make(server.url, { pool: { connections: 4 } });
    await expect(c.warm()).rejects.toMatchObject({ code: "llm_unavailable" });
    reset = false;
    const results = await Promise.all(Array.from({ length: 6 }, () => c.chat(req)));
    expect(results.map((r) => r.text)).toEqual(Array(6).fill("ok"));
  });
});

describe("configuration that cannot work", () => {
  it("refuses an API key that is not a valid header value, saying what is wrong and not echoing the key", () => {
    const make = (apiKey: string) => () => createLlmClient({ provider: "openai", baseUrl: "http://127.0.0.1:1/v1", apiKey });
    expect(make("sk-…")).toThrow(/placeholder.*LLM_API_KEY/);
    expect(make("sk-abc\ndef")).toThrow(/line break at position 7/);
    expect(make("sk-clé-0123")).toThrow(/non-ASCII character \(U\+00E9\)/);
    expect(make("sk-abc\ndef")).not.toThrow(/sk-abc/);
  });

  it("refuses a base URL without an http(s) scheme", () => {
    expect(() => createLlmClient({ provider: "openai", baseUrl: "localhost:8787/v1" })).toThrow(/http:\/\/ or https:\/\//);
  });
});
