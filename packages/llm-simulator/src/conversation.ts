/**
 * What the reply logic needs from a request, independent of the wire format it arrived in.
 */
export interface Conversation {
  /** Text of the last user prompt (ignoring tool-result messages after it). */
  lastUserText: string;
  /** Messages in the conversation, counting a system prompt as one. */
  messageCount: number;
  /** Contents of the trailing tool results, or undefined when the last message is not one. */
  toolResults: string[] | undefined;
  /** All prompt text, only used to derive token counts. */
  promptChars: number;
  /** Stable text identifying the conversation, to count retries of the same request. */
  identity: string;
}

const TOOL_RESULT_LIMIT = 200;

export function truncateToolResult(text: string): string {
  return text.length > TOOL_RESULT_LIMIT ? text.slice(0, TOOL_RESULT_LIMIT) : text;
}

/** Joins the `text` of text parts, the shape both OpenAI content arrays and Anthropic blocks use. */
export function textOfParts(parts: ReadonlyArray<{ type: string; text?: string | undefined }>): string {
  return parts
    .filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
}
