import type { RenderContext } from "./dialect.ts";
import { openAiCompletionId, openAiFinishReason, openAiUsage } from "./openai.ts";
import { splitFixed, splitWords, type Reply } from "./reply.ts";

const ARGUMENT_PIECE_CHARS = 16;

/**
 * Chat Completions SSE: a role delta, content or tool-call deltas, a finish chunk, an optional
 * usage chunk, then `[DONE]`. The role chunk travels with the first piece so that the first
 * beat carries the first token.
 */
export function openAiStreamBeats(reply: Reply, ctx: RenderContext): string[][] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
    frame({
      id: openAiCompletionId(ctx.requestId),
      object: "chat.completion.chunk",
      created: ctx.created,
      model: ctx.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(ctx.includeUsage ? { usage: null } : {}),
    });

  const { content } = reply;
  const pieces: string[] = [];
  if (content.kind === "text") {
    for (const word of splitWords(content.text)) pieces.push(chunk({ content: word }, null));
  } else {
    content.calls.forEach((call, index) => {
      pieces.push(
        chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, null),
      );
      for (const part of splitFixed(call.arguments, ARGUMENT_PIECE_CHARS)) {
        pieces.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null));
      }
    });
  }

  const role = chunk({ role: "assistant", content: content.kind === "text" ? "" : null }, null);
  const [firstPiece, ...rest] = pieces;
  const closing = [chunk({}, openAiFinishReason(reply))];
  if (ctx.includeUsage) {
    closing.push(
      frame({
        id: openAiCompletionId(ctx.requestId),
        object: "chat.completion.chunk",
        created: ctx.created,
        model: ctx.model,
        choices: [],
        usage: openAiUsage(reply),
      }),
    );
  }
  closing.push("data: [DONE]\n\n");
  return [firstPiece === undefined ? [role] : [role, firstPiece], ...rest.map((p) => [p]), closing];
}

function frame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
