import type { Db } from "@turnq/db";
import type { ChatMessage, LlmClient } from "@turnq/llm";
import { buildWindow, type ContextWindow } from "./build-window.ts";
import { compact, type CompactResult } from "./compact.ts";
import type { ContextCache } from "./context-cache.ts";
import { loadHistory, type LoadedHistory, type PrefetchedHistory } from "./load-history.ts";
import type { SummaryAhead } from "./summary-ahead.ts";

export interface TurnContextDeps {
  db: Db;
  cache: ContextCache;
  llm: LlmClient;
  /** The turn's model (its tokenizer and context size). */
  model: string;
  /** The cheaper model that writes summaries. */
  summaryModel: string;
  systemPrompt: string;
  /** Prompt budget for `model`, e.g. budgetFor(model, maxOutputTokens). */
  budgetTokens: number;
  compactionThreshold?: number | undefined;
  /**
   * Where the next summary is written ahead of need (summary-ahead.ts), and from which share of the
   * compaction threshold (buildWindow's compactionAhead). Without it every summary is written by the
   * turn that needs it, while that turn waits.
   */
  ahead?: { drafts: SummaryAhead; share: number } | undefined;
  /** Newest history entries a summary leaves verbatim; default 8. */
  keepRecent?: number | undefined;
  maxSummaryInputTokens?: number | undefined;
}

export interface TurnContextRequest {
  sessionId: string;
  turnId: string;
  lease: number;
  /** The turn's input while its user message is not in the log yet. */
  newUserText?: string | undefined;
  /** This turn's messages not logged yet (agent loop rounds). */
  pending?: readonly ChatMessage[] | undefined;
  /** From calibrationFrom(previous call's usage.inputTokens, previous window's rawTokens). */
  calibration?: number | undefined;
  signal?: AbortSignal | undefined;
  /** False after a compaction failed in this turn: the plain window is used without asking again. */
  allowCompaction?: boolean | undefined;
  /** History the claim already read (see historyRead). */
  prefetched?: PrefetchedHistory | undefined;
}

export interface TurnContext {
  window: ContextWindow;
  loaded: LoadedHistory;
  /** Present when the window asked for compaction and it was tried. */
  compaction?: CompactResult;
}

/**
 * Everything a model call needs, in one call: load (incrementally), build the window, and when it
 * asks for it, compact once and rebuild. A failed compaction leaves the plain window in place; only
 * `compaction.code === "lease_lost"` should stop the turn.
 */
export async function prepareTurnContext(deps: TurnContextDeps, req: TurnContextRequest): Promise<TurnContext> {
  const build = (loaded: LoadedHistory) =>
    buildWindow({
      systemPrompt: deps.systemPrompt,
      summary: loaded.summary,
      history: loaded.history,
      truncated: loaded.truncated,
      newUserText: req.newUserText,
      currentTurnId: req.turnId,
      pending: req.pending,
      model: deps.model,
      budgetTokens: deps.budgetTokens,
      calibration: req.calibration,
      compactionThreshold: deps.compactionThreshold,
      compactionAhead: deps.ahead?.share,
    });
  let loaded = await loadHistory(deps.db, deps.cache, req.sessionId, req.prefetched);
  let window = build(loaded);
  if (req.allowCompaction === false || (!window.needsCompaction && !window.compactionSoon)) return { window, loaded };
  // Only history before this turn's own entries may be summarised.
  const rangeOf = (loaded: LoadedHistory) => {
    const own = loaded.history.find((e) => e.turnId === req.turnId);
    return {
      db: deps.db,
      llm: deps.llm,
      model: deps.summaryModel,
      sessionId: req.sessionId,
      upToSeq: own ? own.seq - 1 : loaded.upToSeq,
      previous: loaded.truncated ? undefined : loaded.summary,
      keepRecent: deps.keepRecent,
      maxInputTokens: deps.maxSummaryInputTokens,
    };
  };
  // Close to needing the next summary (or, right after a compaction, still needing one): it is
  // written in the background, for the turn that will need it (summary-ahead.ts).
  const writeAheadIfSoon = () => {
    if ((window.compactionSoon || window.needsCompaction) && !loaded.truncated) deps.ahead?.drafts.start(rangeOf(loaded));
  };
  if (!window.needsCompaction) {
    writeAheadIfSoon();
    return { window, loaded };
  }

  const draft = await deps.ahead?.drafts.take(req.sessionId, req.signal);
  const compaction = await compact({ ...rangeOf(loaded), turnId: req.turnId, lease: req.lease, signal: req.signal, draft });
  if (compaction.ok) {
    loaded = await loadHistory(deps.db, deps.cache, req.sessionId);
    window = build(loaded);
    writeAheadIfSoon();
  }
  return { window, loaded, compaction };
}
