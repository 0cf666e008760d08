import { DelayedError, type Job, type Processor } from "bullmq";
import { claimNextTurn, finishedTurnIds, isDbUnavailable, type ClaimLimits, type Db, type HistoryRead, type TurnRow } from "@turnq/db";
import { defaultTenantId, drainJob, type DrainJobData, type Mailbox, type WebhookEnqueuer } from "@turnq/queue";
import type { Logger } from "pino";
import type { StartingTurn, TurnOutcome } from "./turn-outcome.ts";
import { createSettlement, type AfterTurn } from "./turn-settlement.ts";
import type { TurnLive } from "./turn-live.ts";
import { traceTurnAttempt } from "./turn-spans.ts";

export interface DrainDeps {
  db: Db;
  mailbox: Mailbox;
  logger: Logger;
  /** Jobs for the webhook deliveries a turn's final status created. */
  webhooks: WebhookEnqueuer;
  limits: ClaimLimits;
  turnsPerSlice: number;
  /** Drain jobs this worker runs at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** gen_ai.provider.name of the LLM client, for the invoke_agent span. */
  provider: string;
  /** What the claim should read of the session's log for the context cache (see historyRead). */
  historyRead(sessionId: string): HistoryRead;
  runTurn(starting: StartingTurn, signals: { shutdown: AbortSignal; cancel: AbortSignal }): Promise<TurnOutcome>;
  /** A claimed turn's live events (its running status first; its final ones go with `settle`). */
  openLive(turn: TurnRow): TurnLive;
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
 * statement), and one Redis call to settle it (events, long-poll notification, ack, release). What
 * follows each outcome is decided in turn-settlement.ts.
 */
export function createDrainProcessor(deps: DrainDeps): Processor<DrainJobData> {
  let active = 0;
  const processor: Processor<DrainJobData> = async (job, token) => {
    const { sessionId, tenantId = defaultTenantId } = drainJob.payload.parse(job.data);
    const jobId = job.id!;
    const settlement = createSettlement(deps, sessionId, jobId, tenantId);
    let ran = 0;
    let emptyChecks = 0;
    for (;;) {
      // Fairness: after a slice, hand the session back to the tail of the queue, but only when every
      // slot here is taken. With a slot free, this worker is fetching, so nothing waits behind us.
      // A tenant over its share of the fleet parks the session instead (tenant-share-lua.ts).
      if (deps.isStopping()) return delaySession(job, token, 0);
      if (ran >= deps.turnsPerSlice && active >= deps.concurrency) {
        const slice = await deps.mailbox.yieldSlice(sessionId, jobId, tenantId);
        if (slice === "parked") return "parked";
        if (slice === "lost") return "lost";
        return delaySession(job, token, 0);
      }
      const read = deps.historyRead(sessionId);
      const claimStartedAt = Date.now();
      const claim = await claimNextTurn(deps.db, sessionId, deps.limits, read);
      const claimed = { startedAt: claimStartedAt, endedAt: Date.now() };
      let after: AfterTurn;
      if (claim.kind === "idle") {
        // Ids of turns that finished meanwhile (or were re-added by the reconciler) must not keep
        // the session busy forever.
        const finished = await finishedTurnIds(deps.db, await deps.mailbox.pendingIds(sessionId));
        if (finished.length > 0) await deps.mailbox.ack(sessionId, jobId, finished);
        const outcome = await deps.mailbox.finish(sessionId, jobId, tenantId);
        if (outcome !== "more") return outcome;
        if (++emptyChecks >= 3) return delaySession(job, token, 0);
        continue;
      } else if (claim.kind === "exhausted") {
        after = await settlement.exhausted(claim.turn);
      } else {
        const turn = claim.turn;
        ran++;
        const live = deps.openLive(turn);
        live.emit({ type: "turn.status", status: "running" });
        const cancel = deps.cancels.open(turn.id);
        const starting: StartingTurn = { turn, session: claim.session, prefetched: { read, rows: claim.history }, live };
        try {
          const outcome = await traceTurnAttempt(turn, job, deps, claimed, () => deps.runTurn(starting, { shutdown: deps.shutdownSignal, cancel })).finally(
            () => deps.cancels.close(turn.id),
          );
          after = await settlement.ran(turn, outcome, live);
        } finally {
          live.close();
        }
      }
      if (after.next === "end") return after.outcome;
      if (after.next === "delay") return delaySession(job, token, after.delayMs);
      if (after.next === "yield") return delaySession(job, token, 0);
    }
  };
  return async (job, token) => {
    active++;
    try {
      return await processor(job, token);
    } catch (err) {
      // Postgres down or restarting: the session waits a moment in the delayed set, holding no slot,
      // and the drain job keeps its BullMQ attempts (their backoff grows to 30 s, far longer than a
      // restart). A turn this left running is taken over by the next claim (a crash, not an attempt).
      if (!isDbUnavailable(err)) throw err;
      deps.logger.warn({ sessionId: job.data.sessionId, err: (err as Error).message }, "database unavailable; the session will try again shortly");
      return await delaySession(job, token, DB_UNAVAILABLE_RETRY_MS);
    } finally {
      active--;
    }
  };
}

const DB_UNAVAILABLE_RETRY_MS = 1_000;

/**
 * Moves the job to BullMQ's delayed set for `delayMs` (0: due at once). It holds no slot meanwhile,
 * and when due it is promoted like a new job, behind the others: with 0 this is how a session yields
 * (`moveToWait` would put the job where the next fetch takes from, ahead of everyone).
 */
async function delaySession(job: Job, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}
