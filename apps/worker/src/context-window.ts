import type { ChatMessage } from "@turnq/llm";
import type { MessageRow } from "@turnq/db";

/** Maps logged messages to the provider-neutral chat shape. */
export function toChatMessage(row: Pick<MessageRow, "role" | "content">): ChatMessage {
  const c = row.content;
  const msg: ChatMessage = { role: row.role, content: c.text ?? null };
  if (c.toolCalls?.length) msg.toolCalls = c.toolCalls;
  if (c.toolCallId) msg.toolCallId = c.toolCallId;
  return msg;
}

/**
 * The window sent to the model: system prompt, then the most recent history. A window must not start
 * with tool results whose assistant tool call fell outside it: providers reject that.
 */
export function buildWindow(systemPrompt: string, history: MessageRow[], userInput: string): ChatMessage[] {
  let start = 0;
  while (start < history.length && history[start]!.role === "tool") start++;
  return [
    { role: "system", content: systemPrompt },
    ...history.slice(start).map(toChatMessage),
    { role: "user", content: userInput },
  ];
}
