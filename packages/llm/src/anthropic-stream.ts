import { TurnqError } from "@turnq/core";
import type { FinishReason, ToolCall } from "./types.ts";
import type { AssembledResponse, StreamAssembler } from "./provider-adapter.ts";
import type { SseEvent } from "./sse-parser.ts";
import { emptyUsage, isObject } from "./provider-adapter.ts";
import { anthropicUsage, mapAnthropicStopReason } from "./anthropic-mapping.ts";
import { badResponse, streamedProviderError } from "./llm-errors.ts";

/**
 * Assembles Messages API SSE: message_start (model, input usage), content_block_start (text or
 * tool_use), content_block_delta (text_delta / input_json_delta), message_delta (stop_reason, output
 * usage), message_stop. Blocks are keyed by `index`; thinking blocks and pings are ignored.
 */
export function createAnthropicStreamAssembler(onText: (text: string) => void, scrub: (text: string) => string): StreamAssembler {
  let text = "";
  const tools = new Map<number, ToolCall & { startInput: string }>();
  const usage = emptyUsage();
  let model = "";
  let finishReason: FinishReason | undefined;
  let stopped = false;

  function handle(type: string, ev: Record<string, unknown>): void {
    switch (type) {
      case "message_start": {
        const msg = isObject(ev["message"]) ? ev["message"] : {};
        if (typeof msg["model"] === "string") model = msg["model"];
        anthropicUsage(msg["usage"], usage);
        return;
      }
      case "content_block_start": {
        const block = isObject(ev["content_block"]) ? ev["content_block"] : {};
        const index = typeof ev["index"] === "number" ? ev["index"] : -1;
        if (block["type"] === "tool_use") {
          const startInput = isObject(block["input"]) && Object.keys(block["input"]).length > 0 ? JSON.stringify(block["input"]) : "";
          tools.set(index, { id: String(block["id"] ?? ""), name: String(block["name"] ?? ""), arguments: "", startInput });
        } else if (block["type"] === "text" && typeof block["text"] === "string" && block["text"]) {
          text += block["text"];
          onText(block["text"]);
        }
        return;
      }
      case "content_block_delta": {
        const delta = isObject(ev["delta"]) ? ev["delta"] : {};
        if (delta["type"] === "text_delta" && typeof delta["text"] === "string" && delta["text"]) {
          text += delta["text"];
          onText(delta["text"]);
        } else if (delta["type"] === "input_json_delta" && typeof delta["partial_json"] === "string") {
          const tool = tools.get(typeof ev["index"] === "number" ? ev["index"] : -1);
          if (!tool) throw badResponse("input_json_delta for an unknown content block");
          tool.arguments += delta["partial_json"];
        }
        return;
      }
      case "message_delta": {
        const delta = isObject(ev["delta"]) ? ev["delta"] : {};
        if (delta["stop_reason"] !== undefined && delta["stop_reason"] !== null) finishReason = mapAnthropicStopReason(delta["stop_reason"]);
        anthropicUsage(ev["usage"], usage);
        return;
      }
      case "message_stop":
        stopped = true;
        return;
      case "error": {
        const err = isObject(ev["error"]) ? ev["error"] : {};
        throw streamedProviderError(scrub(String(err["type"] ?? "unknown")), scrub(String(err["message"] ?? "")));
      }
      default:
        return; // ping, content_block_stop, and event types added later
    }
  }

  return {
    onEvent(event: SseEvent) {
      let payload: unknown;
      try {
        payload = JSON.parse(event.data);
      } catch (e) {
        throw badResponse(`stream event ${event.event} is not JSON`, e);
      }
      if (!isObject(payload)) throw badResponse("stream event is not an object");
      // The JSON `type` is authoritative; the SSE `event:` line duplicates it.
      const type = typeof payload["type"] === "string" ? payload["type"] : event.event;
      handle(type, payload);
    },
    finish(): AssembledResponse {
      if (!stopped) {
        throw new TurnqError("llm_unavailable", "LLM stream ended before message_stop; it will be retried", {
          details: { reason: "stream_truncated" },
        });
      }
      const toolCalls = [...tools.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, t]) => ({ id: t.id, name: t.name, arguments: t.arguments || t.startInput || "{}" }));
      return { text, toolCalls, finishReason: finishReason ?? "other", usage, model };
    },
  };
}
