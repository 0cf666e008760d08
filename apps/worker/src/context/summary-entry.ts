import type { MessageContent, MessageRole } from "@turnq/core";
import type { ChatMessage } from "@turnq/llm";

/** What the context builder reads of a log entry; MessageRow satisfies it. */
export interface LogEntry {
  seq: number;
  turnId: string;
  role: MessageRole;
  content: MessageContent;
}

/** A compaction summary as found in the log: the entry's own seq and the range its text stands for. */
export interface LoggedSummary {
  seq: number;
  text: string;
  fromSeq: number;
  toSeq: number;
}

export const SUMMARY_PREFIX = "Summary of earlier conversation: ";

export function isSummaryEntry(entry: Pick<LogEntry, "role" | "content">): boolean {
  return entry.role === "system" && entry.content.summary !== undefined;
}

export function asLoggedSummary(entry: LogEntry): LoggedSummary | undefined {
  const range = entry.content.summary;
  if (entry.role !== "system" || !range) return undefined;
  return { seq: entry.seq, text: entry.content.text ?? "", fromSeq: range.fromSeq, toSeq: range.toSeq };
}

/**
 * The summary as the model sees it: a system message right after the system prompt. The seq range is
 * left out on purpose: it means nothing to the model and would make prompts differ needlessly.
 */
export function summaryMessage(summary: LoggedSummary): ChatMessage {
  return { role: "system", content: SUMMARY_PREFIX + summary.text };
}

/** Maps a logged message to the provider-neutral chat shape. */
export function toChatMessage(entry: Pick<LogEntry, "role" | "content">): ChatMessage {
  const c = entry.content;
  const msg: ChatMessage = { role: entry.role, content: c.text ?? null };
  if (c.toolCalls?.length) msg.toolCalls = c.toolCalls;
  if (c.toolCallId) msg.toolCallId = c.toolCallId;
  return msg;
}
