import type { WebhookEventType } from "@turnq/core";
import type { TurnRow } from "@turnq/db";

/**
 * The body of a turn event, Standard Webhooks style: `type`, `timestamp` (when the turn ended) and
 * `data`, the turn as GET /v1/turns/{id} describes it (without its input: fetch the turn for that).
 */
export function webhookPayload(event: WebhookEventType, turn: TurnRow): string {
  return JSON.stringify({
    type: event,
    timestamp: (turn.finishedAt ?? turn.createdAt).toISOString(),
    data: {
      turn: {
        id: turn.id,
        sessionId: turn.sessionId,
        status: turn.status,
        output: turn.output,
        error: turn.errorCode ? { code: turn.errorCode, message: turn.errorMessage } : null,
        attempts: turn.attempts,
        usage: { inputTokens: turn.inputTokens, cachedInputTokens: turn.cachedInputTokens, outputTokens: turn.outputTokens },
        createdAt: turn.createdAt.toISOString(),
        startedAt: turn.startedAt?.toISOString() ?? null,
        finishedAt: turn.finishedAt?.toISOString() ?? null,
      },
    },
  });
}
