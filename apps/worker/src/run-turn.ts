import { isRetryable, isTurnqError, TurnqError } from "@turnq/core";
import { completeTurn, recentMessages, type Db, type TurnRow } from "@turnq/db";
import type { LlmClient } from "@turnq/llm";
import { buildWindow } from "./context-window.ts";
import type { TurnOutcome } from "./turn-outcome.ts";

export interface RunTurnDeps {
  db: Db;
  llm: LlmClient;
  model: string;
  systemPrompt: string;
  windowMessages: number;
  maxAttempts: number;
}

/**
 * The minimal agent step: a bounded window of history, one LLM call, then the user message and the
 * reply appended with the turn's completion in one fenced transaction. Nothing is written before the
 * reply exists, so a crash at any point leaves the log as if the turn had not started.
 */
export async function runTurn(deps: RunTurnDeps, turn: TurnRow, signal: AbortSignal): Promise<TurnOutcome> {
  try {
    const history = await recentMessages(deps.db, turn.sessionId, deps.windowMessages);
    const reply = await deps.llm.chat({
      model: deps.model,
      messages: buildWindow(deps.systemPrompt, history, turn.input),
      signal,
    });
    await completeTurn(deps.db, {
      turnId: turn.id,
      lease: turn.lease,
      output: reply.text,
      messages: [
        { role: "user", content: { text: turn.input } },
        { role: "assistant", content: { text: reply.text } },
      ],
    });
    return { kind: "completed", output: reply.text };
  } catch (err) {
    if (signal.aborted) return { kind: "released" };
    return classify(err, turn, deps.maxAttempts);
  }
}

function classify(err: unknown, turn: TurnRow, maxAttempts: number): TurnOutcome {
  const e = isTurnqError(err)
    ? err
    : new TurnqError("internal", `Unexpected error while running the turn: ${(err as Error)?.message ?? err}`, { cause: err });
  if (e.code === "lease_lost") return { kind: "lease_lost" };
  if (isRetryable(e.code) && turn.attempts < maxAttempts) {
    const backoff = Math.min(30_000, 1_000 * 2 ** (turn.attempts - 1));
    return { kind: "retry", code: e.code, message: e.message, delayMs: Math.max(backoff, e.retryAfterMs ?? 0) };
  }
  return { kind: "failed", code: e.code, message: e.message };
}
