import { DelayedError, WaitingError, type Job, type Processor } from "bullmq";
import { claimNextTurn, finishedTurnIds, releaseTurn, settleFailedTurn, type Db, type TurnRow } from "@turnq/db";
import { drainJob, type DrainJobData, type Mailbox } from "@turnq/queue";
import type { Logger } from "pino";
import type { TurnOutcome } from "./turn-outcome.ts";
import { traceTurnAttempt } from "./turn-spans.ts";

export interface DrainDeps {
  db: Db;
  mailbox: Mailbox;
  logger: Logger;
  maxAttempts: number;
  turnsPerSlice: number;
  /** gen_ai.provider.name of the LLM client, for the invoke_agent span. */
  provider: string;
  runTurn(turn: TurnRow, signals: { shutdown: AbortSignal; cancel: AbortSignal }): Promise<TurnOutcome>;
  notify(turn: TurnRow, status: string): Promise<unknown>;
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
 * the mailbox's atomic `finish`, so a turn that arrives at the last moment is never stranded.
 */
export function createDrainProcessor(deps: DrainDeps): Processor<DrainJobData> {
  return async (job, token) => {
    const { sessionId } = drainJob.payload.parse(job.data);
    const jobId = job.id!;
    let ran = 0;
    let emptyChecks = 0;
    for (;;) {
      if (deps.isStopping() || ran >= deps.turnsPerSlice) return yieldSession(job, token);
      const claim = await claimNextTurn(deps.db, sessionId, deps.maxAttempts);
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
        await deps.notify(claim.turn, "failed");
        if (!(await deps.mailbox.ack(sessionId, jobId, [claim.turn.id]))) return "lost";
        continue;
      }
      const turn = claim.turn;
      ran++;
      await deps.notify(turn, "running");
      const cancel = deps.cancels.open(turn.id);
      const outcome = await traceTurnAttempt(turn, job, deps, () => deps.runTurn(turn, { shutdown: deps.shutdownSignal, cancel })).finally(() => deps.cancels.close(turn.id));
      switch (outcome.kind) {
        case "completed":
          break;
        case "stopped":
          deps.logger.info({ turnId: turn.id, status: outcome.status, code: outcome.code }, "turn stopped early");
          await deps.notify(turn, outcome.status);
          if (!(await deps.mailbox.ack(sessionId, jobId, [turn.id]))) return "lost";
          continue;
        case "failed":
          await settleFailedTurn(deps.db, { turnId: turn.id, lease: turn.lease, code: outcome.code, message: outcome.message, final: true });
          deps.logger.warn({ turnId: turn.id, code: outcome.code }, "turn failed");
          break;
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
          await deps.notify(turn, "queued");
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
      await deps.notify(turn, outcome.kind);
      if (!(await deps.mailbox.ack(sessionId, jobId, [turn.id]))) return "lost";
      // Usually nothing else is waiting: release right away instead of asking Postgres first.
      const next = await deps.mailbox.finish(sessionId, jobId);
      if (next !== "more") return next;
    }
  };
}

/** Puts the same job back at the tail of the wait list, so other sessions run before this one continues. */
async function yieldSession(job: Job, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}

function assertNever(x: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(x)}`);
}
