import { isTurnqError, type ErrorCode } from "@turnq/core";
import { appendSummary, latestSummary, listMessages, type Db } from "@turnq/db";
import type { LlmClient, Usage } from "@turnq/llm";
import { compactionRange } from "./compaction-range.ts";
import { asLoggedSummary, isSummaryEntry, type LoggedSummary } from "./summary-entry.ts";
import { summaryRequestMessages } from "./summary-prompt.ts";

export interface CompactArgs {
  db: Db;
  llm: LlmClient;
  /** The summary model: usually a cheaper one than the turn's. */
  model: string;
  sessionId: string;
  /** The running turn: the summary is appended under its lease, like its other messages. */
  turnId: string;
  lease: number;
  /** Last seq that may be summarised: the history before the running turn's own entries. */
  upToSeq: number;
  /** The latest summary if the caller knows it for sure (loadHistory with truncated false); else looked up. */
  previous?: LoggedSummary | null | undefined;
  /** Newest entries kept verbatim; default 8. */
  keepRecent?: number | undefined;
  /** Transcript tokens per summary call; older backlogs are folded in over several turns. Default 12,000. */
  maxInputTokens?: number | undefined;
  /** Rows read per call; default 2,000. */
  maxInputMessages?: number | undefined;
  /** Default 1,024. */
  maxOutputTokens?: number | undefined;
  instructions?: string | undefined;
  signal?: AbortSignal | undefined;
}

export type CompactResult =
  /** `ahead`: the summary was a draft written before this turn needed it (no model call in the turn). */
  | { ok: true; summary: LoggedSummary; usage: Usage; ahead: boolean }
  | { ok: false; code: ErrorCode | "nothing_to_compact"; message: string };

/** A summary written but not in the log yet: what it covers, its text, and what the call cost. */
export type SummaryDraft =
  | { ok: true; fromSeq: number; toSeq: number; text: string; usage: Usage }
  | { ok: false; code: ErrorCode | "nothing_to_compact"; message: string };

/**
 * Folds the oldest not-yet-summarised part of the history into a new summary with one LLM call and
 * appends it as its own log entry naming the seq range it covers. Nothing is deleted or rewritten.
 * Every failure (LLM error, empty reply, lease lost) is returned, not thrown: the log is unchanged
 * and the turn goes on with the plain window; `code: "lease_lost"` means the turn must stop.
 * `draft`, when given, is a summary written ahead (summary-ahead.ts): appended as it is when it
 * starts where the log's summaries end and covers only history before this turn; otherwise this
 * call writes its own.
 */
export async function compact(args: CompactArgs & { draft?: SummaryDraft | undefined }): Promise<CompactResult> {
  try {
    const previous = await previousSummary(args);
    const from = (previous?.toSeq ?? 0) + 1;
    const ready = args.draft;
    const draft = ready?.ok && ready.fromSeq === from && ready.toSeq <= args.upToSeq ? ready : await writeDraft(args, previous);
    if (!draft.ok) return draft;
    const entry = await appendSummary(args.db, { turnId: args.turnId, lease: args.lease, text: draft.text, fromSeq: draft.fromSeq, toSeq: draft.toSeq });
    return { ok: true, summary: asLoggedSummary(entry)!, usage: draft.usage, ahead: draft === ready };
  } catch (err) {
    return failure(err);
  }
}

/**
 * The LLM half of `compact`: reads the range to fold and writes its summary, appending nothing.
 * Needs no lease, so it can run ahead of the turn that will append it (summary-ahead.ts).
 */
export async function draftSummary(args: Omit<CompactArgs, "turnId" | "lease">): Promise<SummaryDraft> {
  try {
    return await writeDraft(args, await previousSummary(args));
  } catch (err) {
    return failure(err);
  }
}

async function previousSummary(args: Pick<CompactArgs, "db" | "sessionId" | "upToSeq" | "previous">): Promise<LoggedSummary | null> {
  if (args.previous !== undefined) return args.previous;
  return asLoggedSummaryOrNull(await latestSummary(args.db, args.sessionId, { throughSeq: args.upToSeq }));
}

async function writeDraft(args: Omit<CompactArgs, "turnId" | "lease">, previous: LoggedSummary | null): Promise<SummaryDraft> {
  const from = (previous?.toSeq ?? 0) + 1;
  const limit = args.maxInputMessages ?? 2_000;
  const rows = await listMessages(args.db, args.sessionId, { after: from - 1, limit: limit + 1 });
  const chosen = compactionRange({
    entries: rows,
    upToSeq: args.upToSeq,
    keepRecent: args.keepRecent ?? 8,
    maxInputTokens: args.maxInputTokens ?? 12_000,
    model: args.model,
    cut: rows.length > limit,
  });
  if (chosen.length === 0) return { ok: false, code: "nothing_to_compact", message: "No history old enough to summarise." };

  const reply = await args.llm.chat({
    model: args.model,
    messages: summaryRequestMessages({
      previousText: previous?.text,
      entries: chosen.filter((e) => !isSummaryEntry(e)),
      instructions: args.instructions,
    }),
    maxOutputTokens: args.maxOutputTokens ?? 1_024,
    stream: false,
    signal: args.signal,
  });
  const text = reply.text.trim();
  if (!text) return { ok: false, code: "llm_bad_response", message: "The summary model returned an empty summary." };
  return { ok: true, fromSeq: chosen[0]!.seq, toSeq: chosen.at(-1)!.seq, text, usage: reply.usage };
}

function failure(err: unknown): { ok: false; code: ErrorCode; message: string } {
  if (isTurnqError(err)) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: "internal", message: `Compaction failed: ${(err as Error)?.message ?? err}` };
}

function asLoggedSummaryOrNull(row: Parameters<typeof asLoggedSummary>[0] | undefined): LoggedSummary | null {
  return row ? (asLoggedSummary(row) ?? null) : null;
}
