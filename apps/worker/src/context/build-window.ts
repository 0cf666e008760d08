import type { ChatMessage } from "@turnq/llm";
import { REPLY_PRIMING_TOKENS } from "@turnq/llm";
import { isSummaryEntry, summaryMessage, toChatMessage, type LoggedSummary, type LogEntry } from "./summary-entry.ts";
import { calibrated, clampCalibration, entryTokens, entryTokensBound, messageTokens, messageTokensBound } from "./token-count.ts";
import { groupUnits } from "./tool-groups.ts";

export const DEFAULT_COMPACTION_THRESHOLD = 0.75;

export interface BuildWindowInput {
  systemPrompt: string;
  /** The latest summary (loadHistory's `summary`), or null. */
  summary: LoggedSummary | null;
  /** Log entries after the summary's range, in seq order (loadHistory's `history`). */
  history: readonly LogEntry[];
  /** The turn's input, when it is not yet in the log; sent after everything else of the history. */
  newUserText?: string | undefined;
  /** Entries of this turn already in the log are its own, not history: always sent, never dropped. */
  currentTurnId?: string | undefined;
  /** This turn's messages not yet in the log (an agent loop's calls and results), sent last. */
  pending?: readonly ChatMessage[] | undefined;
  model: string;
  budgetTokens: number;
  /** Provider-reported input tokens / our count, from the previous call; clamped to [0.5, 2]. */
  calibration?: number | undefined;
  /** Share of the budget the full history may fill before compaction is asked for. */
  compactionThreshold?: number | undefined;
  /** loadHistory's `truncated`: older entries after the summary exist that were not loaded. */
  truncated?: boolean | undefined;
  /**
   * Share of the compaction threshold from which `compactionSoon` is set: the history is close
   * enough to need a summary that one can be written ahead (summary-ahead.ts). Also set when one more
   * turn the size of the latest one would cross the threshold. 1 (default): never.
   */
  compactionAhead?: number | undefined;
}

export interface ContextWindow {
  messages: ChatMessage[];
  /** Calibrated estimate of the prompt's input tokens. */
  tokens: number;
  /** Our tokenizer's count before calibration; feed it to calibrationFrom after the call. */
  rawTokens: number;
  /** Loaded history messages left out (older ones that did not fit, orphan tool results). */
  droppedCount: number;
  /** Seq of the oldest history message sent, or undefined when none was. */
  firstSeq: number | undefined;
  needsCompaction: boolean;
  /**
   * The history does not need compaction yet, but fills `compactionAhead` of the threshold, or would
   * cross it with one more turn as large as the latest one in the history.
   */
  compactionSoon: boolean;
  /** Even the parts that are never dropped (system prompt, summary, this turn) exceed the budget. */
  overBudget: boolean;
}

/**
 * System prompt, latest summary, then the most recent history that fits `budgetTokens`, then this
 * turn. History is taken newest first in whole units and stops at the first unit that does not fit,
 * so what is sent is always a contiguous tail of the log with no hole in it.
 *
 * Two passes: first with upper bounds of each message's tokens (its UTF-8 bytes, token-count.ts),
 * which decide the window alone whenever everything loaded fits with room to spare (the common case:
 * a few KB of history against a budget of tens of thousands of tokens); only when the bounds come
 * near the budget or the compaction threshold are messages tokenised. Either way the same messages
 * are chosen, and `tokens`/`rawTokens` are the exact counts, computed when first read.
 */
export function buildWindow(input: BuildWindowInput): ContextWindow {
  const { model } = input;
  const factor = clampCalibration(input.calibration);
  const head: ChatMessage[] = [{ role: "system", content: input.systemPrompt }];
  if (input.summary) head.push(summaryMessage(input.summary));
  const prior: LogEntry[] = [];
  const own: ChatMessage[] = input.newUserText !== undefined ? [{ role: "user", content: input.newUserText }] : [];
  for (const entry of input.history) {
    if (isSummaryEntry(entry)) continue;
    if (input.currentTurnId !== undefined && entry.turnId === input.currentTurnId) own.push(toChatMessage(entry));
    else prior.push(entry);
  }
  own.push(...(input.pending ?? []));
  const units = groupUnits(prior);
  const threshold = input.compactionThreshold ?? DEFAULT_COMPACTION_THRESHOLD;
  const ahead = Math.min(1, input.compactionAhead ?? 1);
  // The units of the latest turn in the history (its last entries sharing a turn id): how much a turn grows it.
  const latestTurnRaw = (unitRaw: number[]) => {
    const turnId = prior.at(-1)?.turnId;
    let raw = 0;
    for (let i = units.length - 1; i >= 0 && units[i]!.entries[0]!.turnId === turnId; i--) raw += unitRaw[i]!;
    return raw;
  };

  const choose = (fixedRaw: number, unitRaw: number[]) => {
    let keptRaw = 0;
    let from = units.length;
    let stoppedByBudget = false;
    while (from > 0) {
      const unit = units[from - 1]!;
      if (unit.orphan) break;
      if (calibrated(fixedRaw + keptRaw + unitRaw[from - 1]!, factor) > input.budgetTokens) {
        stoppedByBudget = true;
        break;
      }
      if (!unit.incomplete) keptRaw += unitRaw[from - 1]!;
      from--;
    }
    const allRaw = unitRaw.reduce((a, b) => a + b, 0);
    const limit = threshold * input.budgetTokens;
    const needsCompaction = input.truncated === true || calibrated(fixedRaw + allRaw, factor) > limit;
    return {
      from,
      keptRaw,
      stoppedByBudget,
      needsCompaction,
      compactionSoon:
        ahead < 1 &&
        !needsCompaction &&
        (calibrated(fixedRaw + allRaw, factor) > ahead * limit || calibrated(fixedRaw + allRaw + latestTurnRaw(unitRaw), factor) > limit),
      overBudget: calibrated(fixedRaw, factor) > input.budgetTokens,
    };
  };
  const fixed = [...head, ...own];
  const exactEntry = (e: LogEntry) => entryTokens(e, model);
  let fixedExactRaw: number | undefined;
  const fixedExact = () => (fixedExactRaw ??= REPLY_PRIMING_TOKENS + fixed.reduce((n, m) => n + messageTokens(m, model), 0));

  const bounded = choose(
    REPLY_PRIMING_TOKENS + fixed.reduce((n, m) => n + messageTokensBound(m), 0),
    units.map((u) => sumOf(u.entries, entryTokensBound)),
  );
  // Bounds that fit everywhere mean real counts that fit: the choice is the exact pass's, without it.
  // A truncated load asks for compaction whatever the counts say, so only the budget checks matter.
  const decided =
    !bounded.stoppedByBudget && !bounded.overBudget && (input.truncated === true || (!bounded.needsCompaction && !bounded.compactionSoon));
  const exact = decided ? undefined : choose(fixedExact(), units.map((u) => sumOf(u.entries, exactEntry)));
  const chosen = exact ?? bounded;
  // A call left without its results (a turn cut short) is skipped: providers reject it anywhere.
  const kept = units.slice(chosen.from).flatMap((u) => (u.incomplete ? [] : u.entries));
  let raw = exact ? fixedExact() + exact.keptRaw : undefined;
  const rawTokens = () => (raw ??= fixedExact() + sumOf(kept, exactEntry));
  return {
    messages: [...head, ...kept.map(toChatMessage), ...own],
    get tokens() {
      return calibrated(rawTokens(), factor);
    },
    get rawTokens() {
      return rawTokens();
    },
    droppedCount: prior.length - kept.length,
    firstSeq: kept[0]?.seq,
    needsCompaction: chosen.needsCompaction,
    compactionSoon: chosen.compactionSoon,
    overBudget: chosen.overBudget,
  };
}

function sumOf(entries: readonly LogEntry[], count: (e: LogEntry) => number): number {
  return entries.reduce((n, e) => n + count(e), 0);
}
