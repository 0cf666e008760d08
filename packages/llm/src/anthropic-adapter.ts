import type { ChatRequest, ToolCall } from "./types.ts";
import type { AssembledResponse, HttpRequestSpec, ProviderAdapter } from "./provider-adapter.ts";
import { emptyUsage, genericErrorMessage, isObject } from "./provider-adapter.ts";
import {
  ANTHROPIC_VERSION,
  DEFAULT_MAX_TOKENS,
  anthropicMessages,
  anthropicSystem,
  anthropicTools,
  anthropicUsage,
  mapAnthropicStopReason,
} from "./anthropic-mapping.ts";
import { createAnthropicStreamAssembler } from "./anthropic-stream.ts";
import { badResponse } from "./llm-errors.ts";

function headers(apiKey: string | undefined): Record<string, string> {
  const h: Record<string, string> = { "anthropic-version": ANTHROPIC_VERSION };
  if (apiKey) h["x-api-key"] = apiKey;
  return h;
}

function buildChatRequest(req: ChatRequest, stream: boolean, apiKey: string | undefined): HttpRequestSpec {
  const body: Record<string, unknown> = {
    model: req.model,
    max_tokens: req.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
  };
  const system = anthropicSystem(req.messages);
  if (system) body["system"] = system;
  body["messages"] = anthropicMessages(req.messages);
  if (req.tools && req.tools.length > 0) body["tools"] = anthropicTools(req.tools);
  if (stream) body["stream"] = true;
  return {
    path: "/messages",
    headers: { ...headers(apiKey), "content-type": "application/json", accept: stream ? "text/event-stream" : "application/json" },
    body: JSON.stringify(body),
  };
}

function parseResponse(json: unknown): AssembledResponse {
  if (!isObject(json) || !Array.isArray(json["content"])) throw badResponse("message without content");
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const block of json["content"] as unknown[]) {
    if (!isObject(block)) continue;
    if (block["type"] === "text" && typeof block["text"] === "string") text += block["text"];
    if (block["type"] === "tool_use") {
      toolCalls.push({ id: String(block["id"] ?? ""), name: String(block["name"] ?? ""), arguments: JSON.stringify(block["input"] ?? {}) });
    }
  }
  return {
    text,
    toolCalls,
    finishReason: mapAnthropicStopReason(json["stop_reason"]),
    usage: anthropicUsage(json["usage"], emptyUsage()),
    model: typeof json["model"] === "string" ? json["model"] : "",
  };
}

export const anthropicAdapter: ProviderAdapter = {
  name: "anthropic",
  buildChatRequest,
  parseResponse,
  createStreamAssembler: createAnthropicStreamAssembler,
  // GET /models exists on the Messages API and is cheap; a 401 without a key still leaves the TLS connection open.
  warmRequest: (apiKey) => ({ method: "GET", path: "/models", headers: headers(apiKey) }),
  errorMessage: genericErrorMessage,
};
