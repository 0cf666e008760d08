import type { ChatRequest, FinishReason, ProviderName, ToolCall, Usage } from "./types.ts";
import type { SseEvent } from "./sse-parser.ts";

/** What one provider contributes: wire mapping only. Transport, deadlines and retries are shared. */

export interface HttpRequestSpec {
  /** Relative to the base URL's path (e.g. "/chat/completions"). */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A response reduced to provider-neutral fields (attempts/timings are added by the client). */
export interface AssembledResponse {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  model: string;
}

export interface StreamAssembler {
  /** May throw a TurnqError (provider error event, unparseable chunk). */
  onEvent(event: SseEvent): void;
  /** Throws a TurnqError when the stream ended before the provider said it was complete. */
  finish(): AssembledResponse;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  buildChatRequest(req: ChatRequest, stream: boolean, apiKey: string | undefined): HttpRequestSpec;
  /** Non-streamed body (already JSON-parsed). Throws llm_bad_response on shape errors. */
  parseResponse(json: unknown): AssembledResponse;
  /** `scrub` cleans a provider's error text of secrets before it goes into an error (see llm-errors). */
  createStreamAssembler(onText: (text: string) => void, scrub: (text: string) => string): StreamAssembler;
  /** A cheap request whose only purpose is to leave an open keep-alive connection behind. */
  warmRequest(apiKey: string | undefined): { method: "GET" | "HEAD"; path: string; headers: Record<string, string> };
  /** Pulls the provider's human message out of an error body, if there is one. */
  errorMessage(bodyText: string): string | undefined;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
}

export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Both providers wrap errors as {error: {message}} (Anthropic adds a top-level type). */
export function genericErrorMessage(bodyText: string): string | undefined {
  try {
    const json: unknown = JSON.parse(bodyText);
    if (isObject(json) && isObject(json["error"]) && typeof json["error"]["message"] === "string") {
      return json["error"]["message"];
    }
    if (isObject(json) && typeof json["message"] === "string") return json["message"];
  } catch {
    // Not JSON (an HTML error page from a proxy, say): fall through to a text snippet.
  }
  const text = bodyText.trim();
  return text.length > 0 ? text : undefined;
}
