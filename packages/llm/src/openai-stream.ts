import type { FinishReason, ToolCall, Usage } from "./types.ts";
import type { AssembledResponse, StreamAssembler } from "./provider-adapter.ts";
import type { SseEvent } from "./sse-parser.ts";
import { emptyUsage, isObject } from "./provider-adapter.ts";
import { mapOpenAiFinishReason, openAiUsage } from "./openai-mapping.ts";
import { badResponse, streamedProviderError } from "./llm-errors.ts";
import { TurnqError } from "@turnq/core";

/**
 * Assembles Chat Completions SSE chunks. Tool calls arrive in pieces keyed by `index`: the first piece
 * carries id and name, later pieces append to `arguments`. Usage arrives on a final chunk with an empty
 * `choices` array because the request sets stream_options.include_usage.
 */
export function createOpenAiStreamAssembler(onText: (text: string) => void, scrub: (text: string) => string): StreamAssembler {
  let text = "";
  const calls = new Map<number, ToolCall>();
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  let model = "";
  let done = false;

  function onChunk(chunk: Record<string, unknown>): void {
    if (isObject(chunk["error"])) {
      const err = chunk["error"];
      const kind = String(err["type"] ?? err["code"] ?? "unknown");
      throw streamedProviderError(scrub(kind), scrub(String(err["message"] ?? "")));
    }
    if (typeof chunk["model"] === "string" && chunk["model"]) model = chunk["model"];
    if (isObject(chunk["usage"])) usage = openAiUsage(chunk["usage"]);
    const choices = Array.isArray(chunk["choices"]) ? (chunk["choices"] as unknown[]) : [];
    for (const choice of choices) {
      // n > 1 is never requested; ignore other choices rather than mixing them in.
      if (!isObject(choice) || (choice["index"] ?? 0) !== 0) continue;
      const delta = isObject(choice["delta"]) ? choice["delta"] : {};
      if (typeof delta["content"] === "string" && delta["content"].length > 0) {
        text += delta["content"];
        onText(delta["content"]);
      }
      if (Array.isArray(delta["tool_calls"])) for (const piece of delta["tool_calls"] as unknown[]) onToolPiece(piece);
      if (typeof choice["finish_reason"] === "string") finishReason = mapOpenAiFinishReason(choice["finish_reason"]);
    }
  }

  function onToolPiece(piece: unknown): void {
    if (!isObject(piece)) throw badResponse("malformed streamed tool call");
    const index = typeof piece["index"] === "number" ? piece["index"] : calls.size;
    const fn = isObject(piece["function"]) ? piece["function"] : {};
    let call = calls.get(index);
    if (!call) {
      call = { id: "", name: "", arguments: "" };
      calls.set(index, call);
    }
    if (typeof piece["id"] === "string" && piece["id"]) call.id = piece["id"];
    // Some compatible servers repeat the name on every piece; the first one wins.
    if (typeof fn["name"] === "string" && fn["name"] && !call.name) call.name = fn["name"];
    if (typeof fn["arguments"] === "string") call.arguments += fn["arguments"];
  }

  return {
    onEvent(event: SseEvent) {
      if (done) return;
      const data = event.data.trim();
      if (data === "[DONE]") {
        done = true;
        return;
      }
      if (data === "") return;
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch (e) {
        throw badResponse("stream chunk is not JSON", e);
      }
      if (!isObject(chunk)) throw badResponse("stream chunk is not an object");
      onChunk(chunk);
    },
    finish(): AssembledResponse {
      // Some compatible servers omit [DONE]; a finish_reason is enough to know the answer is complete.
      if (!done && finishReason === undefined) {
        throw new TurnqError("llm_unavailable", "LLM stream ended before the response was complete; it will be retried", {
          details: { reason: "stream_truncated" },
        });
      }
      const toolCalls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
      return { text, toolCalls, finishReason: finishReason ?? "other", usage: usage ?? emptyUsage(), model };
    },
  };
}
