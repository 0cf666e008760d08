import type { TurnRow } from "@turnq/db";
import { drainJob, type DrainJobData } from "@turnq/queue";
import {
  ATTR_TURNQ_ERROR_CODE,
  ATTR_TURNQ_TENANT_ID,
  context,
  contextFromTraceparent,
  contextWithConversation,
  conversationAttributes,
  GenAiAttr,
  GenAiOperation,
  SpanKind,
  SpanStatusCode,
  spansMayRecord,
  trace,
  withSpan,
  type Link,
  type Span,
} from "@turnq/telemetry";
import type { TurnOutcome } from "./turn-outcome.ts";
import { workerMetrics } from "./worker-metrics.ts";

/**
 * Span helpers of the worker's turn path, shared by the turn step and the agent loop:
 *
 *   process sessions [CONSUMER]        one per attempt, child of the API's `send sessions` span
 *     invoke_agent {agent} [INTERNAL]
 *       load_context [INTERNAL]        -> SELECT messages … (database spans)
 *       chat {model} [CLIENT]          also the HTTP request (see llm-spans.ts)
 *       append_messages [INTERNAL]     -> SELECT/UPDATE/INSERT … (database spans), mid-turn only
 *       INSERT messages [CLIENT]       finish_turn: the final append, one statement
 *
 * Every span carries gen_ai.conversation.id (the session), set once in the consumer's context.
 */

type JobInfo = { id?: string | undefined; data: DrainJobData };

// Finish time of the last turn run here per session, to tell how long a turn waited behind its
// predecessor. Bounded: only the most recent sessions are remembered.
const lastFinished = new Map<string, { position: number; at: number }>();
const LAST_FINISHED_MAX = 10_000;

/**
 * Runs one attempt of a claimed turn inside `process sessions` [CONSUMER] and `invoke_agent`
 * [INTERNAL]. The parent is the traceparent stored with the turn, so every attempt, on any worker,
 * after any redelivery, lands in the trace of the request that submitted it; the request that
 * created the drain job is a link when it is another trace. The outcome sets the span status.
 */
export async function traceTurnAttempt(
  turn: TurnRow,
  job: JobInfo,
  agent: { provider: string },
  /** When the claim statement was sent and answered (epoch ms): it ran before the trace was known. */
  claim: { startedAt: number; endedAt: number },
  run: () => Promise<TurnOutcome>,
): Promise<TurnOutcome> {
  const now = Date.now();
  const queueWaitMs = Math.max(0, now - turn.createdAt.getTime());
  const previous = lastFinished.get(turn.sessionId);
  const waitBehindMs =
    previous && previous.position === turn.position - 1 ? Math.max(0, Math.min(previous.at, now) - turn.createdAt.getTime()) : undefined;
  const parent = contextWithConversation(turn.sessionId, contextFromTraceparent(turn.traceParent));
  const links = spansMayRecord() ? drainLinks(turn, job) : [];
  const metrics = workerMetrics();
  // Every turn metric carries its tenant (issue #10): operators see who loads the fleet.
  const tenant = { [ATTR_TURNQ_TENANT_ID]: turn.tenantId };
  if (turn.attempts <= 1) metrics.recordQueueWait(queueWaitMs / 1_000, tenant);
  metrics.turnStarted(turn.tenantId);
  try {
    return await withSpan(
      `process ${drainJob.queueName}`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        links,
        startTime: claim.startedAt,
        attributes: {
          "messaging.system": "bullmq",
          "messaging.operation.type": "process",
          "messaging.operation.name": "process",
          "messaging.destination.name": drainJob.queueName,
          "messaging.message.conversation_id": turn.sessionId,
          ...(job.id ? { "messaging.message.id": job.id } : {}),
          "turnq.turn.id": turn.id,
          "turnq.turn.position": turn.position,
          "turnq.turn.attempt": turn.attempts,
          "turnq.turn.queue_wait_ms": queueWaitMs,
          ...(waitBehindMs !== undefined ? { "turnq.turn.wait_behind_previous_ms": waitBehindMs } : {}),
        },
      },
      async (consumer) => {
        recordClaimSpan(claim);
        const outcome = await withSpan(
          GenAiOperation.invokeAgent,
          { attributes: { [GenAiAttr.operationName]: GenAiOperation.invokeAgent, [GenAiAttr.providerName]: agent.provider } },
          async (span) => markOutcome(span, await run()),
        );
        if ("code" in outcome && outcome.kind !== "stopped") metrics.recordError(outcome.code, tenant);
        return markOutcome(consumer, outcome);
      },
    );
  } finally {
    metrics.turnFinished(turn.tenantId);
    metrics.recordTurnDuration((Date.now() - now) / 1_000, tenant);
    lastFinished.delete(turn.sessionId);
    lastFinished.set(turn.sessionId, { position: turn.position, at: Date.now() });
    if (lastFinished.size > LAST_FINISHED_MAX) lastFinished.delete(lastFinished.keys().next().value!);
  }
}

/**
 * The claim of the turn (one statement that also read its context), as a database span under
 * `process sessions`: it ran before the turn, and so its trace, was known.
 */
function recordClaimSpan(claim: { startedAt: number; endedAt: number }): void {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return;
  const span = trace.getTracer("@turnq/db").startSpan(
    "UPDATE turns",
    {
      kind: SpanKind.CLIENT,
      startTime: claim.startedAt,
      attributes: {
        "db.system.name": "postgresql",
        "db.operation.name": "UPDATE",
        "db.collection.name": "turns",
        "turnq.db.statement": "claim_turn",
        ...conversationAttributes(parent),
      },
    },
    parent,
  );
  span.end(claim.endedAt);
}

/**
 * Names the active `invoke_agent` span after the agent (`invoke_agent {name}`), once the agent is
 * known. Call it first thing in the turn step / agent loop, before starting any other span.
 */
export function describeAgent(agent: { name: string; id?: string; version?: number }): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${GenAiOperation.invokeAgent} ${agent.name}`);
  span.setAttribute(GenAiAttr.agentName, agent.name);
  if (agent.id) span.setAttribute("gen_ai.agent.id", agent.id);
  if (agent.version !== undefined) span.setAttribute("turnq.agent.version", agent.version);
}

/** `load_context` [INTERNAL]: reading the history window (its database spans nest inside). */
export function withLoadContextSpan<T>(fn: () => Promise<T>, attributes: { windowMessages?: number } = {}): Promise<T> {
  return withSpan(
    "load_context",
    { attributes: attributes.windowMessages !== undefined ? { "turnq.context.window_messages": attributes.windowMessages } : {} },
    async (span) => {
      const result = await fn();
      if (Array.isArray(result)) span.setAttribute("turnq.context.messages", result.length);
      return result;
    },
  );
}

/** `append_messages` [INTERNAL]: a fenced mid-turn append, a transaction of a few statements (the final append is one statement, finish_turn, with a span of its own). */
export function withAppendMessagesSpan<T>(count: number, fn: () => Promise<T>): Promise<T> {
  return withSpan("append_messages", { attributes: { "turnq.messages.count": count } }, () => fn());
}

function markOutcome(span: Span, outcome: TurnOutcome): TurnOutcome {
  span.setAttribute("turnq.turn.outcome", outcome.kind);
  if ("code" in outcome) {
    span.setAttribute(ATTR_TURNQ_ERROR_CODE, outcome.code);
    span.setAttribute("error.type", outcome.code);
    if (outcome.kind === "failed" || outcome.kind === "retry") {
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
    }
  }
  return outcome;
}

/** A link to the request whose enqueue created this drain job, when that is not the turn's own trace. */
function drainLinks(turn: TurnRow, job: JobInfo): Link[] {
  const jobContext = trace.getSpanContext(contextFromTraceparent(job.data.traceparent));
  if (!jobContext) return [];
  const turnContext = trace.getSpanContext(contextFromTraceparent(turn.traceParent));
  if (turnContext && turnContext.traceId === jobContext.traceId) return [];
  return [{ context: jobContext, attributes: { "turnq.link.type": "drain_job" } }];
}

/**
 * `execute_tool {name}` [INTERNAL] around one tool's run, so a tool's own outbound calls nest under
 * it and parallel tools show as sibling spans. The outcome's type marks errors and timeouts.
 */
export function withToolSpan<T extends { type: string }>(call: { id: string; name: string }, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return withSpan(
    `${GenAiOperation.executeTool} ${call.name}`,
    {
      attributes: {
        [GenAiAttr.operationName]: GenAiOperation.executeTool,
        [GenAiAttr.toolName]: call.name,
        [GenAiAttr.toolCallId]: call.id,
      },
    },
    async (span) => {
      const outcome = await run();
      const failed = outcome.type !== "value";
      if (failed) {
        span.setAttribute("error.type", outcome.type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `tool ${outcome.type}` });
      }
      workerMetrics().recordToolDuration((performance.now() - started) / 1_000, call.name, failed ? outcome.type : undefined);
      return outcome;
    },
  );
}
