import type { IncomingHttpHeaders } from "node:http";
import type { Conversation } from "./conversation.ts";
import type { Reply } from "./reply.ts";

/** A completion request after validation, reduced to what the simulator acts on. */
export interface ParsedCompletion {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  messages: unknown[];
  tools: unknown[] | undefined;
  /** The request's cap on output tokens (max_tokens, max_completion_tokens), if it set one. */
  maxOutputTokens: number | undefined;
  conversation: Conversation;
}

export type ParseResult = { ok: true; request: ParsedCompletion } | { ok: false; message: string };

export interface RenderContext {
  requestId: number;
  model: string;
  /** Unix seconds. */
  created: number;
  includeUsage: boolean;
}

/**
 * One provider wire format. The reply logic is shared; a dialect only parses requests and
 * renders replies and errors the way that provider's SDKs expect.
 */
export interface Dialect {
  authorized(headers: IncomingHttpHeaders, apiKey: string): boolean;
  parse(body: unknown): ParseResult;
  errorBody(status: number, message: string): unknown;
  responseBody(reply: Reply, ctx: RenderContext): unknown;
  /** SSE frames grouped into beats: each beat is written at once, beats are spread over the latency. */
  streamBeats(reply: Reply, ctx: RenderContext): string[][];
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (value === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value);
  return match?.[1]?.trim();
}
