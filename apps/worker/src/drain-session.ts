import { DelayedError, type Job, type Processor } from "bullmq";
import { claimNextTurn, finishedTurnIds, releaseTurn, settleFailedTurn, type Db, type HistoryRead, type TurnRow } from "@turnq/db";
import { drainJob, turnDoneMessage, type DrainJobData, type FinishOutcome, type Mailbox } from "@turnq/queue";
import type { Logger } from "pino";
import type { Settled, StartingTurn, TurnOutcome } from "./turn-outcome.ts";
import { traceTurnAttempt } from "./turn-spans.ts";

export interface DrainDeps {
  db: Db;
  mailbox: Mailbox;
  logger: Logger;
  maxAttempts: number;
  turnsPerSlice: number;
  /** Drain jobs this worker runs at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** gen_ai.provider.name of the LLM client, for the invoke_agent span. */
  provider: string;
  /** What the claim should read of the session's log for the context cache (see historyRead). */
  historyRead(sessionId: string): HistoryRead;
  runTurn(starting: StartingTurn, signals: { shutdown: AbortSignal; cancel: AbortSignal }): Promise<TurnOutcome>;
  /** A live `turn.status` event for watchers (running, queued again); final ones go with `settle`. */
  emitStatus(turn: TurnRow, status: string): void;
  /** Per-turn cancel signals, fired by cancel requests arriving over Redis. */
  cancels: { open(turnId: string): AbortSignal; close(turnId: string): void };
  /** Aborted when the worker is shutting down and in-flight turns must be handed back. */
  shutdownSignal: AbortSignal;
  /** True once the worker stops taking work: drains hand their session back after the current turn. */
  isStopping(): boolean;
}

/**
 * The processor of a session's drain job. It runs the session's turns one at a time in position
 * order (Postgres decides the order; the claim fences out any earlier holder), and ends only through
 * the mailbox's atomic `finish`/`settle`, so a turn that arrives at the last moment is never stranded.
 * Per plain turn: one claim statement (it also reads the context), the turn itself (one final
 * statement), and one Redis call to settle it (events, long-poll notification, ack, release).
 */
export function createDrainProcessor(deps: DrainDeps): Processor<DrainJobData> {
  let active = 0;
  const processor: Processor<DrainJobData> = async (job, token) => {
    const { sessionId } = drainJob.payload.parse(job.data);
    const jobId = job.id!;
    let ran = 0;
    let emptyChecks = 0;
    // Tells Redis a turn is final: its closing events and notification, forget it, maybe release.
    const settle = ({ turn, appended, trailingDelta }: Settled, release: boolean): Promise<FinishOutcome> =>
      deps.mailbox.settle(sessionId, jobId, turn.id, {
        release,
        events: [
          ...(trailingDelta ? [{ seq: trailingDelta.seq, event: { type: "message.delta", text: trailingDelta.text } }] : []),
          ...appended.map((m) => ({ seq: m.seq, event: { type: "message", seq: m.seq, role: m.role, content: m.content } })),
          { event: { type: "turn.status", status: turn.status } },
        ],
        done: turnDoneMessage({ id: turn.id, status: turn.status, turn }),
      });
    for (;;) {
      // Fairness: after a slice, hand the session back to the tail of the queue, but only when every
      // slot here is taken. With a slot free, this worker is fetching, so nothing waits behind us.
      if (deps.isStopping() || (ran >= deps.turnsPerSlice && active >= deps.concurrency)) return yieldSession(job, token);
      const read = deps.historyRead(sessionId);
      const claimStartedAt = Date.now();
      const claim = await claimNextTurn(deps.db, sessionId, deps.maxAttempts, read);
      const claimed = { startedAt: claimStartedAt, endedAt: Date.now() };
      if (claim.kind === "idle") {
        // Ids of turns that finished meanwhile (or were re-added by the reconciler) must not keep
        // the session busy forever.
        const finished = await finishedTurnIds(deps.db, await deps.mailbox.pendingIds(sessionId));
        if (finished.length > 0) await deps.mailbox.ack(sessionId, jobId, finished);
        const outcome = await deps.mailbox.finish(sessionId, jobId);
        if (outcome !== "more") return outcome;
        if (++emptyChecks >= 3) return yieldSession(job, token);
        continue;
      }
      if (claim.kind === "exhausted") {
        deps.logger.warn({ turnId: claim.turn.id, attempts: claim.turn.attempts }, "turn failed: attempts exhausted");
        if ((await settle({ turn: claim.turn, appended: [] }, false)) === "lost") return "lost";
        continue;
      }
      const turn = claim.turn;
      ran++;
      deps.emitStatus(turn, "running");
      const cancel = deps.cancels.open(turn.id);
      const starting: StartingTurn = { turn, session: claim.session, prefetched: { read, rows: claim.history } };
      const outcome = await traceTurnAttempt(turn, job, deps, claimed, () => deps.runTurn(starting, { shutdown: deps.shutdownSignal, cancel })).finally(() =>
        deps.cancels.close(turn.id),
      );
      let next: FinishOutcome;
      switch (outcome.kind) {
        case "completed":
          // Usually nothing else is waiting: release right away instead of asking Postgres first.
          next = await settle(outcome, true);
          break;
        case "stopped":
          deps.logger.info({ turnId: turn.id, status: outcome.status, code: outcome.code }, "turn stopped early");
          next = await settle(outcome, true);
          break;
        case "failed": {
          const failed = await settleFailedTurn(deps.db, { turnId: turn.id, lease: turn.lease, code: outcome.code, message: outcome.message, final: true });
          deps.logger.warn({ turnId: turn.id, code: outcome.code }, "turn failed");
          next = await settle({ turn: failed, appended: [] }, true);
          break;
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
          deps.emitStatus(turn, "queued");
          // The session waits without holding a worker slot; order is kept because nothing else of
          // this session can run while its only drain job is delayed.
          await job.moveToDelayed(Date.now() + outcome.delayMs, token);
          throw new DelayedError();
        case "released":
          await releaseTurn(deps.db, { turnId: turn.id, lease: turn.lease }).catch(() => {});
          return yieldSession(job, token);
        case "lease_lost":
          deps.logger.warn({ turnId: turn.id }, "lease lost: another worker holds this session now");
          return "lost";
        default:
          return assertNever(outcome);
      }
      if (next !== "more") return next;
    }
  };
  return async (job, token) => {
    active++;
    try {
      return await processor(job, token);
    } finally {
      active--;
    }
  };
}

/**
 * Puts the same job back at the tail of the wait list, so other sessions run before this one
 * continues. Not `moveToWait`: BullMQ pushes that job to the end the next fetch takes from (it
 * would run again at once). A job delayed until now is promoted like a new one, behind the others.
 */
async function yieldSession(job: Job, token: string | undefined): Promise<never> {
  await job.moveToDelayed(Date.now(), token);
  throw new DelayedError();
}

function assertNever(x: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(x)}`);
}
