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
  let tokens = 0;
  for (let i = 0; i < end; i++) {
    const entry = eligible[i]!;
    if (isSummaryEntry(entry)) continue;
    tokens += countTextTokens(transcriptLine(entry), input.model);
    // Always take at least one entry, or an oversized message would block compaction for good.
    if (tokens > input.maxInputTokens && i > 0) {
      end = i;
      break;
    }
  }
  end = groupSafeEnd(eligible, end);
  const chosen = eligible.slice(0, end);
  return chosen.some((e) => !isSummaryEntry(e)) ? chosen : [];
}
