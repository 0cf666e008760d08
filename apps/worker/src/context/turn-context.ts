import type { Db } from "@turnq/db";
import type { ChatMessage, LlmClient } from "@turnq/llm";
import { buildWindow, type ContextWindow } from "./build-window.ts";
import { compact, type CompactResult } from "./compact.ts";
import type { ContextCache } from "./context-cache.ts";
import { loadHistory, type LoadedHistory, type PrefetchedHistory } from "./load-history.ts";

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
    });
  let loaded = await loadHistory(deps.db, deps.cache, req.sessionId, req.prefetched);
  let window = build(loaded);
  if (!window.needsCompaction || req.allowCompaction === false) return { window, loaded };

  // Only history before this turn's own entries may be summarised.
  const own = loaded.history.find((e) => e.turnId === req.turnId);
  const compaction = await compact({
    db: deps.db,
    llm: deps.llm,
    model: deps.summaryModel,
    sessionId: req.sessionId,
    turnId: req.turnId,
    lease: req.lease,
    upToSeq: own ? own.seq - 1 : loaded.upToSeq,
    previous: loaded.truncated ? undefined : loaded.summary,
    keepRecent: deps.keepRecent,
    maxInputTokens: deps.maxSummaryInputTokens,
    signal: req.signal,
  });
  if (compaction.ok) {
    loaded = await loadHistory(deps.db, deps.cache, req.sessionId);
    window = build(loaded);
  }
  return { window, loaded, compaction };
}
