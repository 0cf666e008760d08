import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { AttemptCounter } from "./attempts.ts";
import type { Dialect } from "./dialect.ts";
import { parseDirectives, type Directives } from "./directives.ts";
import { readBody, sendJson } from "./http-io.ts";
import { defaultFirstTokenMs, type ResolvedOptions } from "./options.ts";
import { buildReply } from "./reply.ts";
import type { RequestLog } from "./request-log.ts";
import { playStream } from "./stream-player.ts";
import { Timeline } from "./timeline.ts";
import type { RecordedRequest } from "./types.ts";

export interface CompletionContext {
  options: ResolvedOptions;
  log: RequestLog;
  attempts: AttemptCounter;
  /** Every pending response schedule, so `close()` can cancel them all synchronously. */
  timelines: Set<Timeline>;
}

/** Answers one completion request in `dialect`'s wire format, as scripted by its directives. */
export async function handleCompletion(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  dialect: Dialect,
  ctx: CompletionContext,
): Promise<void> {
  let record: RecordedRequest | undefined;
  let timeline: Timeline | undefined;
  let closed = false;
  res.once("close", () => {
    closed = true;
    if (timeline !== undefined) {
      timeline.cancel();
      ctx.timelines.delete(timeline);
    }
    if (record !== undefined) {
      record.endedAt = Date.now();
      record.aborted = !res.writableFinished;
      record.status = res.headersSent ? res.statusCode : 0;
    }
  });

  const body = await readBody(req);
  if (closed || body.kind === "aborted") return;
  timeline = new Timeline();
  ctx.timelines.add(timeline);
  const rec = ctx.log.add({
    path, model: "", stream: false, messages: [], tools: undefined,
    traceparent: typeof req.headers.traceparent === "string" ? req.headers.traceparent : undefined,
    startedAt: Date.now(), endedAt: undefined, status: 0, aborted: false,
  });
  record = rec;
  res.setHeader("x-turnq-sim-request-id", String(rec.id));
  const fail = (status: number, message: string, headers: OutgoingHttpHeaders = {}): void => {
    rec.status = status;
    sendJson(res, status, dialect.errorBody(status, message), headers);
  };

  if (body.kind === "too-large") return fail(413, "Request body exceeds the simulator's 4 MiB limit");
  const apiKey = ctx.options.apiKey;
  if (apiKey !== undefined && !dialect.authorized(req.headers, apiKey)) return fail(401, "Invalid or missing API key");
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    return fail(400, "Request body is not valid JSON");
  }
  const parsed = dialect.parse(json);
  if (!parsed.ok) return fail(400, parsed.message);
  const request = parsed.request;
  Object.assign(rec, { model: request.model, stream: request.stream, messages: request.messages, tools: request.tools });

  const scripted = parseDirectives(request.conversation.lastUserText);
  if (!scripted.ok) return fail(400, scripted.message);
  const d = scripted.directives;
  const conversation = { ...request.conversation, lastUserText: scripted.text };
  const { latencyMs, firstMs } = timing(d, ctx.options);

  const error = d.error;
  if (error !== undefined && (error.failFirst === undefined || ctx.attempts.next(path, conversation.identity) <= error.failFirst)) {
    const headers = error.retryAfterS === undefined ? {} : { "retry-after": String(error.retryAfterS) };
    // Errors arrive at "first byte" time; `delay` alone also delays them, e.g. a slow 503.
    timeline.at(d.firstMs ?? d.delayMs ?? firstMs, () =>
      fail(error.status, `Simulated error ${error.status} requested by [[sim error=${error.status}]]`, headers),
    );
    return;
  }

  const reply = buildReply(conversation, d, rec.id, request.maxOutputTokens);
  const render = {
    requestId: rec.id,
    model: request.model,
    created: Math.floor(Date.now() / 1000),
    includeUsage: request.includeUsage,
  };
  if (!request.stream) {
    // A stalled non-streaming request never answers; the client has to time out and abort.
    if (d.stallAfterChunks !== undefined) return;
    timeline.at(latencyMs, () => {
      rec.status = 200;
      sendJson(res, 200, dialect.responseBody(reply, render));
    });
    return;
  }
  rec.status = 200;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  playStream(res, timeline, {
    beats: dialect.streamBeats(reply, render),
    firstMs,
    endMs: latencyMs,
    stallAfterFrames: d.stallAfterChunks,
  });
}

function timing(d: Directives, options: ResolvedOptions): { latencyMs: number; firstMs: number } {
  const latencyMs = d.delayMs ?? options.latencyMs;
  // A per-request delay gets a first-token time derived from it, not the server-wide one.
  const inherited = d.delayMs === undefined ? options.firstTokenMs : undefined;
  return { latencyMs, firstMs: d.firstMs ?? inherited ?? defaultFirstTokenMs(latencyMs) };
}
