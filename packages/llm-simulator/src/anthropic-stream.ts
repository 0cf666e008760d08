import { anthropicMessageId, anthropicStopReason } from "./anthropic.ts";
import type { RenderContext } from "./dialect.ts";
import { splitFixed, splitWords, type Reply } from "./reply.ts";

const JSON_PIECE_CHARS = 16;

/**
 * Messages API SSE. Block boundaries (stop of one block, start of the next) travel with the
 * next delta so each beat carries output, and the first beat carries the first token.
 */
export function anthropicStreamBeats(reply: Reply, ctx: RenderContext): string[][] {
  const { content } = reply;
  const blocks =
    content.kind === "text"
      ? [{ start: { type: "text", text: "" }, deltas: splitWords(content.text).map((text) => ({ type: "text_delta", text })) }]
      : content.calls.map((c) => ({
          start: { type: "tool_use", id: c.id, name: c.name, input: {} },
          deltas: splitFixed(c.arguments, JSON_PIECE_CHARS).map((partial_json) => ({ type: "input_json_delta", partial_json })),
        }));

  let pending = [
    event("message_start", {
      type: "message_start",
      message: {
        id: anthropicMessageId(ctx.requestId),
        type: "message",
        role: "assistant",
        model: ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: reply.promptTokens, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
    }),
  ];
  const beats: string[][] = [];
  blocks.forEach((block, index) => {
    if (index > 0) pending.push(event("content_block_stop", { type: "content_block_stop", index: index - 1 }));
    pending.push(event("content_block_start", { type: "content_block_start", index, content_block: block.start }));
    for (const delta of block.deltas) {
      beats.push([...pending, event("content_block_delta", { type: "content_block_delta", index, delta })]);
      pending = [];
    }
  });
  if (blocks.length > 0) pending.push(event("content_block_stop", { type: "content_block_stop", index: blocks.length - 1 }));
  if (pending.length > 1 && beats.length === 0) beats.push(pending.splice(0, pending.length - 1));
  pending.push(
    event("message_delta", {
      type: "message_delta",
      delta: { stop_reason: anthropicStopReason(reply), stop_sequence: null },
      usage: { output_tokens: reply.completionTokens },
    }),
    event("message_stop", { type: "message_stop" }),
  );
  beats.push(pending);
  return beats;
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
