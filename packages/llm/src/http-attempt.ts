import { TurnqError } from "@turnq/core";
import type { Dispatcher } from "undici";
import type { AssembledResponse, HttpRequestSpec, ProviderAdapter } from "./provider-adapter.ts";
import type { ProviderEndpoint } from "./dispatcher.ts";
import type { AttemptDeadlines } from "./deadlines.ts";
import { startAttemptDeadlines } from "./deadlines.ts";
import { createSseParser } from "./sse-parser.ts";
import { badResponse, httpStatusError, networkError, timeoutError } from "./llm-errors.ts";
import { parseRetryAfterMs } from "./retry.ts";

/** One HTTP exchange with the provider, start to last byte, under the attempt's deadlines. */

export interface AttemptInput {
  endpoint: ProviderEndpoint;
  adapter: ProviderAdapter;
  spec: HttpRequestSpec;
  stream: boolean;
  deadlines: { connectMs: number; firstByteMs: number; idleMs: number; totalMs: number };
  totalRemainingMs: number;
  signal?: AbortSignal | undefined;
  clock: () => number;
  onText: (text: string) => void;
  /** Removes known secrets from provider text; applied before any of it is cut or put in an error. */
  scrub: (text: string) => string;
}

export interface AttemptOutput {
  response: AssembledResponse;
  timeToFirstChunkMs: number | undefined;
}

// Error bodies are only read for a message; a proxy's 10 MB HTML page is not worth waiting for.
const MAX_ERROR_BODY = 64 * 1024;
const MAX_JSON_BODY = 32 * 1024 * 1024;

export async function runAttempt(input: AttemptInput): Promise<AttemptOutput> {
  const { endpoint, spec, deadlines: d } = input;
  const dl = startAttemptDeadlines({
    firstByteMs: d.firstByteMs,
    idleMs: d.idleMs,
    totalMs: d.totalMs,
    totalRemainingMs: input.totalRemainingMs,
    callerSignal: input.signal,
  });
  const startedAt = input.clock();
  try {
    const pending = endpoint.pool.request({
      path: endpoint.basePath + spec.path,
      method: "POST",
      headers: spec.headers,
      body: spec.body,
      signal: dl.signal,
    });
    // If undici answers after we stopped waiting, nobody reads that body: free its socket.
    pending.then((late) => dl.signal.aborted && late.body.destroy(), () => {});
    const res = await dl.settle(pending);
    if (res.statusCode >= 400) {
      const text = input.scrub(await readText(res.body, dl, MAX_ERROR_BODY));
      throw httpStatusError(res.statusCode, input.adapter.errorMessage(text), parseRetryAfterMs(res.headers, Date.now()));
    }
    const contentType = String(res.headers["content-type"] ?? "");
    if (input.stream && contentType.includes("text/event-stream")) {
      let firstChunkAt: number | undefined;
      const parser = createSseParser();
      const assembler = input.adapter.createStreamAssembler(input.onText, input.scrub);
      // Read to the end even after the terminal event: stopping early would destroy a reusable socket.
      await dl.read(res.body, (chunk) => {
        firstChunkAt ??= input.clock();
        for (const ev of parser.push(chunk)) assembler.onEvent(ev);
      });
      for (const ev of parser.end()) assembler.onEvent(ev);
      return { response: assembler.finish(), timeToFirstChunkMs: firstChunkAt === undefined ? undefined : firstChunkAt - startedAt };
    }
    const text = await readText(res.body, dl, MAX_JSON_BODY);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw badResponse(`HTTP ${res.statusCode} body is not JSON (content-type ${contentType || "missing"})`, e);
    }
    const response = input.adapter.parseResponse(json);
    // A server that ignored `stream: true` still answered; give the caller the text in one piece.
    if (input.stream && response.text) input.onText(response.text);
    return { response, timeToFirstChunkMs: undefined };
  } catch (err) {
    throw classify(dl.explain(err), input);
  } finally {
    dl.dispose();
  }
}

async function readText(body: Dispatcher.ResponseData["body"], dl: AttemptDeadlines, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  await dl.read(body, (chunk) => {
    size += chunk.length;
    if (size > limit) return false;
    chunks.push(chunk);
  });
  return Buffer.concat(chunks).toString("utf8");
}

function classify(err: unknown, input: AttemptInput): unknown {
  if (input.signal?.aborted && err === input.signal.reason) return err;
  return classifyTransportError(err, input.endpoint.origin, input.deadlines.connectMs);
}

/** Maps what undici/node threw to a TurnqError; anything unrecognised (a caller bug) passes through. */
export function classifyTransportError(err: unknown, origin: string, connectMs: number): unknown {
  if (err instanceof TurnqError) return err;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === "UND_ERR_CONNECT_TIMEOUT") return timeoutError("connect", connectMs);
  // Programming errors (bad options) must surface as themselves, not as an outage to retry.
  if (code === "UND_ERR_INVALID_ARG" || code === "ERR_INVALID_ARG_TYPE") return err;
  if (typeof code === "string" || err instanceof AggregateError) return networkError(err, origin);
  return err;
}
