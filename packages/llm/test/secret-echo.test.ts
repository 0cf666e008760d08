import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { fragmentLength, TurnqError } from "@turnq/core";
import { createLlmClient } from "../src/index.ts";
import type { LlmClient, ProviderName } from "../src/index.ts";
import { json, openAiChunk, sseHeaders, startServer, type Received, type TestServer } from "./helpers/test-server.ts";

/**
 * A provider that echoes the API key in every error form it can. Whatever reaches the caller (the
 * error's message, details, stack, what the observer saw) holds no fragment of the key as long as
 * the scrubber's threshold, wherever the provider's 200-character cut falls.
 */

const KEY = "sk-proj-Q7vXb2LmN9pR4sT6wY8zA1cE3gH5jK0d";
const N = fragmentLength(KEY.length);

let server: TestServer | undefined;
let client: LlmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const req = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] };

/** Every N-character fragment of the key found in `text` (ASCII case ignored). */
function fragmentsIn(text: string): string[] {
  const lower = text.toLowerCase();
  const found = new Set<string>();
  for (let i = 0; i + N <= KEY.length; i++) {
    const frag = KEY.slice(i, i + N).toLowerCase();
    if (lower.includes(frag)) found.add(frag);
  }
  return [...found];
}

function everythingAbout(e: unknown): string {
  return [String(e), (e as Error)?.stack ?? "", JSON.stringify(e), JSON.stringify((e as TurnqError)?.details ?? null), inspect(e, { depth: 10 })].join("\n");
}

function keyOf(r: Received): string {
  return String(r.headers["authorization"] ?? r.headers["x-api-key"] ?? "").replace(/^Bearer /, "");
}

async function failWith(provider: ProviderName, handler: Parameters<typeof startServer>[0]): Promise<{ error: unknown; observed: unknown[] }> {
  server = await startServer(handler);
  const observed: unknown[] = [];
  client = createLlmClient({
    provider,
    baseUrl: server.url,
    apiKey: KEY,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxTotalMs: 5_000 },
    observer: { onAttempt: (i) => i.error && observed.push(i.error) },
  });
  try {
    await client.chat(req);
  } catch (error) {
    return { error, observed };
  }
  throw new Error("expected the call to fail");
}

const forms: Array<[string, ProviderName, Parameters<typeof startServer>[0]]> = [
  ["a 401 naming the key", "openai", (r, res) => json(res, 401, { error: { message: `Incorrect API key provided: ${keyOf(r)}. You can find your API key at …` } })],
  ["a 500 with the key in a plain-text body", "openai", (r, res) => {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(`upstream error; request authorization=${String(r.headers["authorization"])} failed`);
  }],
  ["a 400 listing the request headers", "openai", (r, res) => json(res, 400, { error: { message: `bad request, headers were ${JSON.stringify(r.headers)}` } })],
  ["a 400 with the key upper-cased and split over lines", "openai", (r, res) => json(res, 400, { error: { message: `key ${keyOf(r).slice(0, 20).toUpperCase()}\n${keyOf(r).slice(20)}` } })],
  ["a mid-stream error chunk", "openai", (r, res) => {
    sseHeaders(res);
    res.end(openAiChunk({ content: "par" }) + `data: ${JSON.stringify({ error: { type: "server_error", message: `stream failed for ${keyOf(r)}` } })}\n\n`);
  }],
  ["an Anthropic 401 with the x-api-key", "anthropic", (r, res) => json(res, 401, { type: "error", error: { type: "authentication_error", message: `invalid x-api-key ${keyOf(r)}` } })],
  ["an Anthropic mid-stream error event with the key in its type", "anthropic", (r, res) => {
    sseHeaders(res);
    res.end(`event: error\ndata: ${JSON.stringify({ type: "error", error: { type: `overloaded_${keyOf(r)}`, message: `overloaded (${keyOf(r)})` } })}\n\n`);
  }],
];

describe("a provider that echoes the API key", () => {
  for (const [name, provider, handler] of forms) {
    it(`leaves no fragment of it in the error: ${name}`, async () => {
      const { error, observed } = await failWith(provider, handler);
      expect(error).toBeInstanceOf(TurnqError);
      expect(fragmentsIn(everythingAbout(error))).toEqual([]);
      for (const o of observed) expect(fragmentsIn(everythingAbout(o))).toEqual([]);
      // The rest of the provider's words survive, so the message still helps.
      expect((error as TurnqError).message).toContain("[redacted]");
    });
  }

  it("leaves no fragment whichever offset the 200-character cut falls at (every offset, both providers)", async () => {
    let offset = 0;
    server = await startServer((r, res) => json(res, 400, { error: { message: `${"x".repeat(offset)}${keyOf(r)} trailing words` } }));
    for (const provider of ["openai", "anthropic"] as const) {
      const c = createLlmClient({ provider, baseUrl: server.url, apiKey: KEY, retry: { maxAttempts: 1 } });
      try {
        for (offset = 0; offset <= 200 + KEY.length; offset++) {
          const error = await c.chat(req).then(() => undefined, (e: unknown) => e);
          expect(error, `offset ${offset}`).toBeInstanceOf(TurnqError);
          expect(fragmentsIn(everythingAbout(error)), `${provider} offset ${offset}`).toEqual([]);
        }
      } finally {
        await c.close();
      }
    }
  });
});
