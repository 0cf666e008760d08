import type { ChatRequest, ToolCall } from "./types.ts";
import type { AssembledResponse, ProviderAdapter } from "./provider-adapter.ts";
import { genericErrorMessage, isObject } from "./provider-adapter.ts";
import { mapOpenAiFinishReason, openAiMessages, openAiTools, openAiUsage } from "./openai-mapping.ts";
import { badResponse } from "./llm-errors.ts";
import { createOpenAiStreamAssembler } from "./openai-stream.ts";

/** Chat Completions wire format; also spoken by vLLM, llama.cpp, Ollama, LiteLLM and the turnq simulator. */

// Reasoning-family models reject `max_tokens`; everything else (and most compatible servers) expects it.
const USES_MAX_COMPLETION_TOKENS = /^(o\d|gpt-5)/;

function buildChatRequest(req: ChatRequest, stream: boolean, apiKey: string | undefined) {
  const body: Record<string, unknown> = { model: req.model, messages: openAiMessages(req.messages) };
  if (req.tools && req.tools.length > 0) body["tools"] = openAiTools(req.tools);
  if (req.maxOutputTokens !== undefined) {
    body[USES_MAX_COMPLETION_TOKENS.test(req.model) ? "max_completion_tokens" : "max_tokens"] = req.maxOutputTokens;
  }
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = { include_usage: true };
  }
  const headers: Record<string, string> = { "content-type": "application/json", accept: stream ? "text/event-stream" : "application/json" };
  if (apiKey) headers["authorization"] = `Bearer ${apiKey}`;
  return { path: "/chat/completions", headers, body: JSON.stringify(body) };
}

function parseResponse(json: unknown): AssembledResponse {
  if (!isObject(json) || !Array.isArray(json["choices"])) throw badResponse("chat completion without choices");
  const choice: unknown = json["choices"][0];
  if (!isObject(choice) || !isObject(choice["message"])) throw badResponse("chat completion without a message");
  const message = choice["message"];
  const toolCalls: ToolCall[] = [];
  for (const c of Array.isArray(message["tool_calls"]) ? (message["tool_calls"] as unknown[]) : []) {
    if (!isObject(c) || !isObject(c["function"])) throw badResponse("malformed tool call");
    const fn = c["function"];
    toolCalls.push({ id: String(c["id"] ?? ""), name: String(fn["name"] ?? ""), arguments: String(fn["arguments"] ?? "") });
  }
  return {
    text: typeof message["content"] === "string" ? message["content"] : "",
    toolCalls,
    finishReason: mapOpenAiFinishReason(choice["finish_reason"]),
    usage: openAiUsage(json["usage"]),
    model: typeof json["model"] === "string" ? json["model"] : "",
  };
}

export const openAiAdapter: ProviderAdapter = {
  name: "openai",
  buildChatRequest,
  parseResponse,
  createStreamAssembler: createOpenAiStreamAssembler,
  warmRequest(apiKey) {
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    return { method: "GET", path: "/models", headers };
  },
  errorMessage: genericErrorMessage,
};
