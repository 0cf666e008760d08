import type { JsonValue, Message, Session, SessionListItem, Turn, TurnError, TurnStatus } from "@turnq/contract";
import type { MessageRow, SessionListRow, SessionRow, TurnRow } from "@turnq/db";

// Each serializer returns its resource's contract type (packages/contract): the OpenAPI document
// and the client describe exactly what these write.

export function sessionJson(s: SessionRow): Session {
  return {
    id: s.id,
    agentId: s.agentId,
    metadata: s.metadata as Record<string, JsonValue>,
    tokenBudget: s.tokenBudget,
    tokensUsed: s.tokensUsed,
    costUsd: s.costMicros / 1_000_000,
    // The newest log entry's seq: seq is gapless from 1, so a reader pages the log by seq ranges.
    lastSeq: s.lastSeq,
    createdAt: s.createdAt.toISOString(),
  };
}

export function sessionListJson(s: SessionListRow): SessionListItem {
  return {
    id: s.id,
    agentId: s.agentId,
    metadata: s.metadata as Record<string, JsonValue>,
    tokensUsed: s.tokensUsed,
    costUsd: s.costMicros / 1_000_000,
    createdAt: s.createdAt.toISOString(),
    lastTurnAt: s.lastTurnAt?.toISOString() ?? null,
    lastTurnStatus: s.lastTurnStatus as TurnStatus | null,
    openTurns: s.openTurns,
  };
}

export function turnJson(t: TurnRow, jaegerUiUrl?: string): Turn {
  return {
    id: t.id,
    sessionId: t.sessionId,
    position: t.position,
    status: t.status,
    input: t.input,
    output: t.output,
    // Codes are written by the worker from the closed ErrorCode union.
    error: t.errorCode ? ({ code: t.errorCode, message: t.errorMessage } as TurnError) : null,
    attempts: t.attempts,
    // Runs cut short because the worker holding the turn died (see README, Retries and poison turns).
    crashes: t.crashes,
    agentVersion: t.agentVersion,
    usage: {
      inputTokens: t.inputTokens,
      cachedInputTokens: t.cachedInputTokens,
      outputTokens: t.outputTokens,
      // From the worker's LLM_PRICES; 0 when the model has no price configured.
      costUsd: t.costMicros / 1_000_000,
    },
    cancelRequested: t.cancelRequestedAt !== null,
    traceId: t.traceId,
    ...(jaegerUiUrl && t.traceId ? { traceUrl: `${jaegerUiUrl.replace(/\/$/, "")}/trace/${t.traceId}` } : {}),
    createdAt: t.createdAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}

export function messageJson(m: MessageRow): Message {
  return {
    seq: m.seq,
    role: m.role,
    content: m.content,
    turnId: m.turnId,
    traceId: m.traceId,
    createdAt: m.createdAt.toISOString(),
  };
}
