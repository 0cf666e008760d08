import { isRetryable, isTurnqError, TurnqError } from "@turnq/core";
import { createTurnDeliveries, isDbUnavailable, releaseTurn, settleFailedTurn, type Db, type TurnRow } from "@turnq/db";
import { cappedBackoff, turnDoneMessage, type FinishOutcome, type LiveEvent, type Mailbox, type WebhookEnqueuer } from "@turnq/queue";
import type { Logger } from "pino";
import type { Settled, TurnOutcome } from "./turn-outcome.ts";
import type { TurnLive } from "./turn-live.ts";

/**
 * Everything decided after a turn ran, in one place: which errors are retried and after how long,
 * when a turn has had enough attempts, and the transitions that follow each outcome (Postgres first,
 * then one Redis call). The agent loop only reports what happened; the drain loop only loops.
 */

/** What the drain loop does next. */
export type AfterTurn =
  | { next: "claim" }
  | { next: "end"; outcome: FinishOutcome }
  /** The session waits `delayMs` in BullMQ's delayed set, holding no slot (the drain job is moved). */
  | { next: "delay"; delayMs: number }
  /** Hand the session back (shutdown): the drain job goes to the tail of the queue. */
  | { next: "yield" };

/** The outcome of an error that ended a turn's attempt. */
export function classifyFailure(err: unknown, turn: Pick<TurnRow, "attempts">, maxAttempts: number): TurnOutcome {
  const e = isTurnqError(err)
    ? err
    : new TurnqError("internal", `Unexpected error while running the turn: ${(err as Error)?.message ?? err}`, { cause: err });
  if (e.code === "lease_lost") return { kind: "lease_lost" };
  // Nor does an unreachable database (if it is back by the time this is recorded): attempt refunded.
  if (isDbUnavailable(err)) {
    return { kind: "retry", code: "database_unavailable", message: "The database was unreachable while the turn ran; it will be retried.", delayMs: 1_000, refundAttempt: true };
  }
  // An open circuit breaker says nothing about this turn: it waits in the queue, attempt refunded.
  if (e.details?.breaker === "open") {
    return { kind: "retry", code: e.code, message: e.message, delayMs: Math.max(1_000, e.retryAfterMs ?? 0), refundAttempt: true };
  }
  if (!isRetryable(e.code)) return { kind: "failed", code: e.code, message: e.message };
  if (turn.attempts < maxAttempts) {
    return { kind: "retry", code: e.code, message: e.message, delayMs: Math.max(cappedBackoff(turn.attempts), e.retryAfterMs ?? 0) };
  }
  // Said as the claim says it for a turn whose attempts crashed: it will not be tried again.
  return {
    kind: "failed",
    code: "turn_attempts_exhausted",
    message: `Gave up after ${turn.attempts} attempts; last error: ${e.message} Submit the turn again to retry.`,
  };
}

export interface SettlementDeps {
  db: Db;
  mailbox: Mailbox;
  logger: Logger;
  /** Jobs for the webhook deliveries a final status created (committed with it). */
  webhooks: WebhookEnqueuer;
}

/** The transitions of one drain job's turns. */
export function createSettlement(deps: SettlementDeps, sessionId: string, jobId: string, tenantId: string) {
  /**
   * Tells Redis a turn is final: its closing events (after what its TurnLive still holds) and
   * notification, forget it, maybe release.
   */
  const settle = async (settled: Settled, release: boolean, live?: TurnLive): Promise<FinishOutcome> => {
    const outcome = await settleInRedis(settled, release, live?.take() ?? []);
    const { turn, webhookDeliveries } = settled;
    // The rows are committed: a job lost here (Redis down, a crash) is re-enqueued by the reconciler.
    if (webhookDeliveries?.length) {
      await deps.webhooks.enqueue(webhookDeliveries).catch((err: Error) => deps.logger.warn({ turnId: turn.id, err: err.message }, "could not enqueue webhook deliveries; the reconciler will"));
    }
    return outcome;
  };
  const settleInRedis = ({ turn, appended, trailingDelta }: Settled, release: boolean, held: LiveEvent[]): Promise<FinishOutcome> =>
    deps.mailbox.settle(sessionId, jobId, turn.id, {
      release,
      tenantId,
      events: [
        ...held,
        ...(trailingDelta ? [{ seq: trailingDelta.seq, event: { type: "message.delta", text: trailingDelta.text } }] : []),
        ...appended.map((m) => ({ seq: m.seq, event: { type: "message", seq: m.seq, role: m.role, content: m.content } })),
        { event: { type: "turn.status", status: turn.status } },
      ],
      done: turnDoneMessage({ id: turn.id, sessionId: turn.sessionId, status: turn.status, ...(carriesTurn(turn) ? { turn } : {}) }),
    });
  const then = (outcome: FinishOutcome): AfterTurn => (outcome === "more" ? { next: "claim" } : { next: "end", outcome });

  return {
    /** A turn the claim found out of attempts (the claim already marked it failed). */
    async exhausted(turn: TurnRow): Promise<AfterTurn> {
      deps.logger.warn({ turnId: turn.id, attempts: turn.attempts }, "turn failed: attempts exhausted");
      // The claim that failed it is the hot statement and creates no deliveries: this (rare) path does,
      // idempotently; were the worker to die right here, the event would be missed.
      const webhookDeliveries = await createTurnDeliveries(deps.db, turn.id).catch((err: Error) => {
        deps.logger.warn({ turnId: turn.id, err: err.message }, "could not create the webhook deliveries of an exhausted turn");
        return [];
      });
      const outcome = await settle({ turn, appended: [], webhookDeliveries }, false);
      return outcome === "lost" ? { next: "end", outcome } : { next: "claim" };
    },

    /** After a claimed turn ran. Usually nothing else is waiting: the session is released at once. */
    async ran(turn: TurnRow, outcome: TurnOutcome, live: TurnLive): Promise<AfterTurn> {
      switch (outcome.kind) {
        case "completed":
          return then(await settle(outcome, true, live));
        case "stopped":
          deps.logger.info({ turnId: turn.id, status: outcome.status, code: outcome.code }, "turn stopped early");
          return then(await settle(outcome, true, live));
        case "failed": {
          const failed = await settleFailedTurn(deps.db, { turnId: turn.id, lease: turn.lease, code: outcome.code, message: outcome.message, final: true });
          deps.logger.warn({ turnId: turn.id, code: outcome.code }, "turn failed");
          return then(await settle({ turn: failed.turn, appended: [], webhookDeliveries: failed.webhookDeliveries }, true, live));
        }
        case "retry":
          await settleFailedTurn(deps.db, {
            turnId: turn.id,
            lease: turn.lease,
            code: outcome.code,
            message: outcome.message,
            final: false,
            refundAttempt: outcome.refundAttempt ?? false,
          });
          deps.logger.info({ turnId: turn.id, code: outcome.code, delayMs: outcome.delayMs }, "turn will be retried");
          live.emit({ type: "turn.status", status: "queued" });
          // Order is kept: nothing else of this session can run while its only drain job is delayed.
          return { next: "delay", delayMs: outcome.delayMs };
        case "released":
          await releaseTurn(deps.db, { turnId: turn.id, lease: turn.lease }).catch(() => {});
          return { next: "yield" };
        case "lease_lost":
          deps.logger.warn({ turnId: turn.id }, "lease lost: another worker holds this session now");
          return { next: "end", outcome: "lost" };
        default:
          return assertNever(outcome);
      }
    },
  };
}

/**
 * The notification goes to every API process: it carries the turn (so a waiter answers without a
 * read) only while that stays small; a long input or output is read by the waiters that want it.
 */
const NOTIFICATION_TEXT_MAX = 16_384;
function carriesTurn(turn: TurnRow): boolean {
  return turn.input.length + (turn.output?.length ?? 0) + (turn.errorMessage?.length ?? 0) <= NOTIFICATION_TEXT_MAX;
}

function assertNever(x: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(x)}`);
}
