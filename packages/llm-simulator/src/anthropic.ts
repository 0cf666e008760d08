import type { RenderContext } from "./dialect.ts";
import type { Reply, ReplyContent } from "./reply.ts";

// The `error.type` values Anthropic documents for each status.
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

export function anthropicErrorBody(status: number, message: string): unknown {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message } };
}

export function anthropicMessageId(requestId: number): string {
  return `msg_sim${requestId}`;
}

export function anthropicStopReason(reply: Reply): string {
  if (reply.cut) return "max_tokens";
  return reply.content.kind === "text" ? "end_turn" : "tool_use";
}

export function anthropicContentBlocks(content: ReplyContent): Record<string, unknown>[] {
  if (content.kind === "text") return [{ type: "text", text: content.text }];
  return content.calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.arguments) }));
}

export function anthropicResponseBody(reply: Reply, ctx: RenderContext): unknown {
  return {
    id: anthropicMessageId(ctx.requestId),
    type: "message",
    role: "assistant",
    model: ctx.model,
    content: anthropicContentBlocks(reply.content),
    stop_reason: anthropicStopReason(reply),
    stop_sequence: null,
    usage: {
      input_tokens: reply.promptTokens,
      output_tokens: reply.completionTokens,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
  };
}
