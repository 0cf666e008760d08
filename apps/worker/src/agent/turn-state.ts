import type { MessageContent } from "@turnq/core";
import type { MessageRow } from "@turnq/db";
import type { ChatMessage, ToolCall } from "@turnq/llm";
import { toChatMessage } from "../context/index.ts";

/**
 * What a turn has already put in the log, read back on (re)delivery: whether the user message is
 * there, and which of the assistant's tool calls still lack a result.
 */
export interface TurnState {
  /** This turn's messages as chat messages, user message first (empty when the turn is fresh). */
  own: ChatMessage[];
  userLogged: boolean;
  iterations: number;
  toolCallsMade: number;
  /** Tool calls of the last assistant message that have no result yet, in call order. */
  unanswered: ToolCall[];
}

export function readTurnState(rows: readonly MessageRow[]): TurnState {
  const own = rows.map(toChatMessage);
  const answered = new Set(rows.map((r) => r.content.toolCallId).filter(Boolean));
  const assistants = rows.filter((r) => r.role === "assistant");
  const last = assistants.at(-1)?.content.toolCalls ?? [];
  return {
    own,
    userLogged: rows.some((r) => r.role === "user"),
    iterations: assistants.length,
    toolCallsMade: assistants.reduce((n, r) => n + (r.content.toolCalls?.length ?? 0), 0),
    unanswered: last.filter((c) => !answered.has(c.id)),
  };
}

export function assistantContent(text: string, toolCalls: ToolCall[], interrupted = false): MessageContent {
  return {
    ...(text ? { text } : {}),
    ...(toolCalls.length ? { toolCalls } : {}),
    ...(interrupted ? { interrupted: true } : {}),
  };
}

export function toolResultContent(callId: string, text: string): MessageContent {
  return { toolCallId: callId, text };
}
