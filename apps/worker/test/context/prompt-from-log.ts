import { TurnqError } from "@turnq/core";
import { getTurn, latestSummary, messagesOfTurn, newestMessagesAfter, type Db } from "@turnq/db";
import { buildWindow, type ContextWindow } from "../../src/context/build-window.ts";
import { asLoggedSummary, isSummaryEntry, type LogEntry } from "../../src/context/summary-entry.ts";

/** What the live window was built with, besides the log: the rebuild must use the same values. */
export interface WindowSettings {
  systemPrompt: string;
  model: string;
  budgetTokens: number;
  /** The live cache's maxMessagesPerSession. */
  maxMessages: number;
  calibration?: number | undefined;
  compactionThreshold?: number | undefined;
}

export interface PromptFromLogInput extends WindowSettings {
  /** Contiguous log entries in seq order holding the turn's entries and everything back to the
   *  latest summary before its call (an earlier start is fine). */
  log: readonly LogEntry[];
  turnId: string;
  /** The turn's input, used when its user message was not logged before the call. */
  turnInput: string;
  /** Which model call of the turn, 1-based; an agent loop makes one per round. Default 1. */
  call?: number | undefined;
}

/**
 * The prompt a past model call was sent, from the log alone: the call saw every entry before the
 * turn's `call`-th assistant message; of those, the latest summary, the history after its range,
 * and the turn's own entries, put through the same window rule. Exact whenever the live load was
 * not `truncated` and the same settings (notably calibration) are given.
 */
export function promptFromLog(input: PromptFromLogInput): ContextWindow {
  const call = input.call ?? 1;
  const replies = input.log.filter((e) => e.turnId === input.turnId && e.role === "assistant");
  const reply = replies[call - 1];
  if (!reply) throw new TurnqError("not_found", `Turn ${input.turnId} logged no reply for model call ${call}; its prompt cannot be located in the log.`);
  const seen = input.log.filter((e) => e.seq < reply.seq);
  const summaryEntry = seen.findLast(isSummaryEntry);
  const summary = summaryEntry ? asLoggedSummary(summaryEntry)! : null;
  // Like the live cache: non-summary entries after the summary's range, the newest maxMessages.
  const history = seen.filter((e) => !isSummaryEntry(e) && e.seq > (summary?.toSeq ?? 0)).slice(-input.maxMessages);
  const userLogged = seen.some((e) => e.turnId === input.turnId && e.role === "user");
  return buildWindow({
    systemPrompt: input.systemPrompt,
    summary,
    history,
    newUserText: userLogged ? undefined : input.turnInput,
    currentTurnId: input.turnId,
    model: input.model,
    budgetTokens: input.budgetTokens,
    calibration: input.calibration,
    compactionThreshold: input.compactionThreshold,
  });
}

/** Loads what promptFromLog needs for one turn (bounded reads) and rebuilds that call's prompt. */
export async function rebuildPrompt(
  db: Db,
  args: WindowSettings & { turnId: string; call?: number | undefined },
): Promise<ContextWindow> {
  const turn = await getTurn(db, args.turnId);
  if (!turn) throw new TurnqError("not_found", `Turn ${args.turnId} does not exist.`);
  const own = await messagesOfTurn(db, turn.sessionId, turn.id);
  const reply = own.filter((e) => e.role === "assistant")[(args.call ?? 1) - 1];
  if (!reply) throw new TurnqError("not_found", `Turn ${turn.id} logged no reply for model call ${args.call ?? 1}.`);
  const throughSeq = reply.seq - 1;
  const summaryRow = await latestSummary(db, turn.sessionId, { throughSeq });
  const base = summaryRow?.content.summary?.toSeq ?? 0;
  const rows = await newestMessagesAfter(db, turn.sessionId, { afterSeq: base, throughSeq: reply.seq, limit: args.maxMessages + own.length + 2 });
  const log = summaryRow && !rows.some((r) => r.seq === summaryRow.seq) ? [summaryRow, ...rows] : rows;
  return promptFromLog({ ...args, log, turnId: turn.id, turnInput: turn.input });
}
