import { countTextTokens } from "@turnq/llm";
import { isSummaryEntry, type LogEntry } from "./summary-entry.ts";
import { transcriptLine } from "./summary-prompt.ts";
import { groupSafeEnd } from "./tool-groups.ts";

export interface CompactionRangeInput<E extends LogEntry> {
  /** Contiguous log entries starting right after the previous summary's range, in seq order. */
  entries: readonly E[];
  /** Last seq that may be summarised at all (entries after it, like the running turn's, never are). */
  upToSeq: number;
  /** Entries at the end (up to upToSeq) left out of the summary, so the window keeps them verbatim. */
  keepRecent: number;
  /** Cap on the transcript's tokens for the summary model; the oldest entries are taken first. */
  maxInputTokens: number;
  model: string;
  /** `entries` stop short of upToSeq (a read limit): the last one only shows whether a group goes on. */
  cut?: boolean | undefined;
}

/**
 * Which entries the next summary folds in: a prefix of `entries`, so coverage stays contiguous
 * (summary after summary, no seq left uncovered), ending before the `keepRecent` newest entries and
 * never between a tool call and its results. Empty when there is nothing worth summarising yet.
 */
export function compactionRange<E extends LogEntry>(input: CompactionRangeInput<E>): E[] {
  const eligible = input.entries.filter((e) => e.seq <= input.upToSeq);
  let end = eligible.filter((e) => e.seq <= input.upToSeq - input.keepRecent).length;
  if (input.cut) end = Math.min(end, eligible.length - 1);
  const lines = eligible.slice(0, end).map((e) => (isSummaryEntry(e) ? undefined : transcriptLine(e)));
  // A token is at least one UTF-8 byte: a transcript whose bytes fit fits, and needs no tokenizer.
  if (lines.reduce((n, line) => n + (line === undefined ? 0 : Buffer.byteLength(line)), 0) > input.maxInputTokens) {
    end = endWithinTokens(lines, input.maxInputTokens, input.model);
  }
  end = groupSafeEnd(eligible, end);
  const chosen = eligible.slice(0, end);
  return chosen.some((e) => !isSummaryEntry(e)) ? chosen : [];
}

/** How many of `lines` (undefined: a summary, not sent) fit `maxTokens`; always at least one. */
function endWithinTokens(lines: readonly (string | undefined)[], maxTokens: number, model: string): number {
  let tokens = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined) continue;
    tokens += countTextTokens(line, model);
    // Always take at least one entry, or an oversized message would block compaction for good.
    if (tokens > maxTokens && i > 0) return i;
  }
  return lines.length;
}
