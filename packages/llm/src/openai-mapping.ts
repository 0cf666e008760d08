import type { ChatMessage, FinishReason, ToolSpec, Usage } from "./types.ts";
import { isObject, num } from "./provider-adapter.ts";

/** Chat Completions field mapping shared by the non-streamed and streamed paths. */

export function openAiMessages(messages: ChatMessage[]): unknown[] {
  return messages.map((m) => {
    if (m.role === "tool") return { role: "tool", tool_call_id: m.toolCallId ?? "", content: m.content ?? "" };
    if (m.role === "assistant" && m.toolCalls && m.toolCalls.length > 0) {
      return {
        role: "assistant",
        content: m.content,
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      };
    }
    return { role: m.role, content: m.content ?? "" };
  });
}

export function openAiTools(tools: ToolSpec[]): unknown[] {
  return tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function mapOpenAiFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case "stop":
      return "stop";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    default:
      return "other";
  }
}

export function openAiUsage(usage: unknown): Usage {
  if (!isObject(usage)) return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  const details = isObject(usage["prompt_tokens_details"]) ? usage["prompt_tokens_details"] : {};
  return {
    inputTokens: num(usage["prompt_tokens"]),
    outputTokens: num(usage["completion_tokens"]),
    cachedInputTokens: num(details["cached_tokens"]),
  };
}
