import type { Conversation } from "./conversation.ts";
import type { Directives } from "./directives.ts";

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it; Anthropic renders it as an object. */
  arguments: string;
}

export type ReplyContent = { kind: "text"; text: string } | { kind: "tool_calls"; calls: ToolCall[] };

export interface Reply {
  content: ReplyContent;
  promptTokens: number;
  completionTokens: number;
  /** The text was cut at the request's max output tokens (finish_reason "length", stop_reason "max_tokens"). */
  cut: boolean;
}

const LEXICON = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
  "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
] as const;

/** Deterministic filler so large outputs are reproducible byte for byte. */
export function fillerWords(count: number): string {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(LEXICON[(i * 7 + 3) % LEXICON.length] ?? "x");
  return words.join(" ");
}

// A rough chars/4 estimate is enough: callers only need counts that are stable and plausible.
const CHARS_PER_TOKEN = 4;

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * The reply a request gets. A text longer than the request's max output tokens is cut to them, as
 * a real model stops there: without it, an echo of a long prompt (a summary request carries the
 * previous summary) would grow turn after turn, which no model's output does.
 */
export function buildReply(conversation: Conversation, directives: Directives, requestId: number, maxOutputTokens?: number): Reply {
  let content = replyContent(conversation, directives, requestId);
  const maxChars = maxOutputTokens === undefined ? Infinity : maxOutputTokens * CHARS_PER_TOKEN;
  const cut = content.kind === "text" && content.text.length > maxChars;
  if (content.kind === "text" && cut) content = { kind: "text", text: content.text.slice(0, maxChars) };
  const outputChars =
    content.kind === "text"
      ? content.text.length
      : content.calls.reduce((sum, c) => sum + c.name.length + c.arguments.length, 0);
  return {
    content,
    promptTokens: estimateTokens(conversation.promptChars),
    completionTokens: estimateTokens(outputChars),
    cut,
  };
}

function replyContent(conversation: Conversation, directives: Directives, requestId: number): ReplyContent {
  // A tool result always gets a final text answer, so agent loops driven by the simulator terminate.
  if (conversation.toolResults !== undefined) {
    return { kind: "text", text: `Tool results: ${conversation.toolResults.join(" | ")}` };
  }
  if (directives.tools !== undefined) {
    const calls = directives.tools.map((name, i) => ({
      id: `call_${requestId}_${i}`,
      name,
      arguments: directives.args,
    }));
    return { kind: "tool_calls", calls };
  }
  if (directives.reply !== undefined) return { kind: "text", text: directives.reply };
  if (directives.words !== undefined) return { kind: "text", text: fillerWords(directives.words) };
  return { kind: "text", text: `Echo: ${conversation.lastUserText} (saw ${conversation.messageCount} messages)` };
}

/** Word-sized pieces (each keeps its trailing whitespace) that concatenate back to `text`. */
export function splitWords(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g);
  if (pieces === null) return text === "" ? [] : [text];
  return pieces;
}

/** Fixed-size slices, mimicking providers that stream JSON arguments in fragments. */
export function splitFixed(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length === 0 ? [""] : pieces;
}
