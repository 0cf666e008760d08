import type { ChatMessage } from "@turnq/llm";
import type { LogEntry } from "./summary-entry.ts";

export const DEFAULT_SUMMARY_INSTRUCTIONS = [
  "You maintain the running summary of a conversation between a user and an AI assistant that uses tools.",
  "Merge the previous summary (if any) with the new messages into one updated summary.",
  "Keep what the assistant may need later: the user's goals and preferences, facts, names, numbers,",
  "decisions, tool results that matter, and unfinished tasks. Drop pleasantries and repetition.",
  "Write plain prose or terse bullet points. Output only the summary.",
].join(" ");

// One message's share of the transcript; a huge tool result must not crowd out everything else.
const ENTRY_CHAR_LIMIT = 4_000;

function clip(text: string): string {
  return text.length > ENTRY_CHAR_LIMIT ? `${text.slice(0, ENTRY_CHAR_LIMIT)} […cut]` : text;
}

/** One log entry as a transcript line, tool calls and results spelled out. */
export function transcriptLine(entry: LogEntry): string {
  const c = entry.content;
  if (entry.role === "tool") return `[${entry.seq}] tool result (${c.toolCallId ?? "?"}): ${clip(c.text ?? "")}`;
  const calls = (c.toolCalls ?? []).map((t) => `${t.name}(${clip(t.arguments)})`);
  const said = c.text ? clip(c.text) : "";
  const acted = calls.length ? `${said ? " " : ""}[calls ${calls.join(", ")}]` : "";
  return `[${entry.seq}] ${entry.role}: ${said}${acted}`;
}

/**
 * The one request that folds `entries` into the running summary. The previous summary goes in as
 * text, so each summary stands alone: the window only ever needs the latest one.
 */
export function summaryRequestMessages(args: {
  previousText: string | undefined;
  entries: readonly LogEntry[];
  instructions?: string | undefined;
}): ChatMessage[] {
  const parts: string[] = [];
  if (args.previousText) parts.push(`Previous summary:\n${args.previousText}`);
  parts.push(`New messages:\n${args.entries.map(transcriptLine).join("\n")}`);
  parts.push("Write the updated summary.");
  return [
    { role: "system", content: args.instructions ?? DEFAULT_SUMMARY_INSTRUCTIONS },
    { role: "user", content: parts.join("\n\n") },
  ];
}
