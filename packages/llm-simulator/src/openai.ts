import type { RenderContext } from "./dialect.ts";
import type { Reply } from "./reply.ts";

// Mirrors the `type`/`code` pairs OpenAI returns, which SDKs use to classify errors.
const ERROR_KINDS: Record<number, { type: string; code: string | null }> = {
  400: { type: "invalid_request_error", code: null },
  401: { type: "invalid_request_error", code: "invalid_api_key" },
  403: { type: "invalid_request_error", code: "unsupported_country_region_territory" },
  404: { type: "invalid_request_error", code: "unknown_url" },
  413: { type: "invalid_request_error", code: "request_too_large" },
  429: { type: "requests", code: "rate_limit_exceeded" },
  500: { type: "server_error", code: null },
  503: { type: "server_error", code: "service_unavailable" },
};

export function openAiErrorBody(status: number, message: string): unknown {
  const kind = ERROR_KINDS[status] ?? { type: status >= 500 ? "server_error" : "invalid_request_error", code: null };
  return { error: { message, type: kind.type, param: null, code: kind.code } };
}

export function openAiUsage(reply: Reply): Record<string, unknown> {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: reply.promptTokens + reply.completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

export function openAiCompletionId(requestId: number): string {
  return `chatcmpl-sim${requestId}`;
}

export function openAiResponseBody(reply: Reply, ctx: RenderContext): unknown {
  const { content } = reply;
  const message =
    content.kind === "text"
      ? { role: "assistant", content: content.text, refusal: null }
      : {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: content.calls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.arguments },
          })),
        };
  return {
    id: openAiCompletionId(ctx.requestId),
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: openAiFinishReason(reply) },
    ],
    usage: openAiUsage(reply),
  };
}

export function openAiFinishReason(reply: Reply): string {
  if (reply.cut) return "length";
  return reply.content.kind === "text" ? "stop" : "tool_calls";
}
