import { drainJob } from "@turnq/queue";
import { currentTraceparent, SpanKind, traceIdOf, withSpan, type Span } from "@turnq/telemetry";

/** The trace context stored with a new turn, so the worker's spans continue this request's trace. */
export type TurnTraceFields = { traceId?: string; traceParent?: string };

/**
 * The PRODUCER span of accepting a turn: `send sessions` around committing the turn (Postgres is the
 * queue's record) and announcing it in the session's mailbox. Its context is what the turn stores,
 * so each attempt's `process sessions` CONSUMER span in the worker is its child.
 */
export function withTurnSend<T>(sessionId: string, fn: (trace: TurnTraceFields, span: Span) => Promise<T>): Promise<T> {
  return withSpan(
    `send ${drainJob.queueName}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "bullmq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": drainJob.queueName,
        "messaging.message.conversation_id": sessionId,
      },
    },
    async (span) => {
      const traceParent = currentTraceparent();
      const traceId = traceIdOf(traceParent);
      return fn({ ...(traceId ? { traceId } : {}), ...(traceParent ? { traceParent } : {}) }, span);
    },
  );
}
