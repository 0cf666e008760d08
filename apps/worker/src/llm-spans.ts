import type { ChatMessage, ChatRequest, ChatResult, FinishReason, LlmClient, LlmObserver } from "@turnq/llm";
import {
  ATTR_ERROR_TYPE,
  GenAiAttr,
  GenAiOperation,
  SpanKind,
  currentTraceparent,
  trace,
  turnqErrorCodeOf,
  withCallerTracedHttp,
  withSpan,
  type ContentCapture,
  type GenAiCallAttributes,
  type Span,
} from "@turnq/telemetry";
import { workerMetrics } from "./worker-metrics.ts";

/**
 * Wraps an LLM client so that every `chat()` is a `chat {model}` CLIENT span with the GenAI
 * attributes (provider, request/response model, token usage, finish reasons, time to first chunk),
 * records the GenAI metrics, and (only when capture is enabled) the scrubbed, capped messages.
 * The span stands for the HTTP requests too (each attempt carries its traceparent; retries are
 * events). Callers (the turn step, the agent loop) need no tracing code of their own. API keys
 * never reach a span: the request headers are not recorded, and errors come out of @turnq/llm
 * already scrubbed.
 */
export function tracedLlmClient(llm: LlmClient, opts: { capture: ContentCapture }): LlmClient {
  return {
    provider: llm.provider,
    chat: (req) => tracedChat(llm, req, opts.capture),
    warm: () => llm.warm(),
    status: () => llm.status(),
    close: () => llm.close(),
  };
}

/**
 * The `observer` for createLlmClient: retries and breaker rejections become events on the active
 * span, which is the `chat` span of the call (the client calls the observer inside chat()).
 */
export function llmSpanObserver(): LlmObserver {
  return {
    onAttempt: ({ attempt, delayMs, error }) => {
      if (attempt <= 1) return;
      trace.getActiveSpan()?.addEvent("turnq.llm.retry", {
        "turnq.llm.attempt": attempt,
        "turnq.llm.retry_delay_ms": Math.round(delayMs),
        ...(error ? { [ATTR_ERROR_TYPE]: error.code } : {}),
      });
    },
    onBreakerReject: () => trace.getActiveSpan()?.addEvent("turnq.llm.breaker_rejected"),
  };
}

async function tracedChat(llm: LlmClient, req: ChatRequest, capture: ContentCapture): Promise<ChatResult> {
  const call: GenAiCallAttributes = { operation: GenAiOperation.chat, provider: llm.provider, requestModel: req.model };
  const started = performance.now();
  return withSpan(
    `${GenAiOperation.chat} ${req.model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [GenAiAttr.operationName]: GenAiOperation.chat,
        [GenAiAttr.providerName]: llm.provider,
        [GenAiAttr.requestModel]: req.model,
        [GenAiAttr.requestStream]: req.stream ?? true,
        ...(req.maxOutputTokens !== undefined ? { [GenAiAttr.requestMaxTokens]: req.maxOutputTokens } : {}),
      },
    },
    async (span) => {
      // Content capture is opt-in; without it (or without a recording span) the history is not copied.
      const input = capture.enabled && span.isRecording() ? capture.captureContent(inputMessages(req.messages)) : undefined;
      if (input) span.setAttribute(GenAiAttr.inputMessages, input);
      try {
        // The chat span stands for the HTTP request too: undici adds no span of its own, and the
        // request carries this span's traceparent for a provider that traces.
        const result = await withCallerTracedHttp(() => llm.chat({ ...req, traceparent: currentTraceparent() }));
        recordResult(span, result, capture);
        const done = { ...call, responseModel: result.model };
        const metrics = workerMetrics();
        metrics.recordLlmDuration(result.durationMs / 1_000, done);
        metrics.recordTokenUsage({ input: result.usage.inputTokens, output: result.usage.outputTokens }, done);
        if (result.timeToFirstChunkMs !== undefined) metrics.recordTimeToFirstChunk(result.timeToFirstChunkMs / 1_000, done);
        return result;
      } catch (err) {
        const errorType = turnqErrorCodeOf(err) ?? (err instanceof Error ? err.name : "unknown");
        workerMetrics().recordLlmDuration((performance.now() - started) / 1_000, { ...call, errorType });
        throw err;
      }
    },
  );
}

function recordResult(span: Span, result: ChatResult, capture: ContentCapture): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    [GenAiAttr.responseModel]: result.model,
    [GenAiAttr.usageInputTokens]: result.usage.inputTokens,
    [GenAiAttr.usageOutputTokens]: result.usage.outputTokens,
    [GenAiAttr.usageCacheReadInputTokens]: result.usage.cachedInputTokens,
    [GenAiAttr.responseFinishReasons]: [finishReason(result.finishReason)],
    "turnq.llm.attempts": result.attempts,
    ...(result.timeToFirstChunkMs !== undefined
      ? {
          "turnq.llm.time_to_first_chunk_ms": Math.round(result.timeToFirstChunkMs * 1_000) / 1_000,
          [GenAiAttr.responseTimeToFirstChunk]: result.timeToFirstChunkMs / 1_000,
        }
      : {}),
  });
  const output = capture.captureContent([
    { role: "assistant", parts: [...textPart(result.text), ...result.toolCalls.map(toolCallPart)], finish_reason: finishReason(result.finishReason) },
  ]);
  if (output) span.setAttribute(GenAiAttr.outputMessages, output);
}

/** Semconv finish reasons: stop, length, content_filter, tool_call, error. */
function finishReason(reason: FinishReason): string {
  return reason === "tool_calls" ? "tool_call" : reason;
}

/** The GenAI "input messages" shape: role plus typed parts. */
function inputMessages(messages: ChatMessage[]): unknown[] {
  return messages.map((m) => {
    if (m.role === "tool") return { role: "tool", parts: [{ type: "tool_call_response", id: m.toolCallId, response: m.content }] };
    return { role: m.role, parts: [...textPart(m.content), ...(m.toolCalls ?? []).map(toolCallPart)] };
  });
}

function textPart(text: string | null): Array<{ type: "text"; content: string }> {
  return text ? [{ type: "text", content: text }] : [];
}

function toolCallPart(call: { id: string; name: string; arguments: string }) {
  return { type: "tool_call", id: call.id, name: call.name, arguments: call.arguments };
}
