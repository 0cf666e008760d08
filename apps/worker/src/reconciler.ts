import { overdueWebhookDeliveries, sessionsWithPendingTurns, type Db } from "@turnq/db";
import { reconcilerLockKey, type Mailbox, type WebhookEnqueuer } from "@turnq/queue";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

export interface ReconcilerDeps {
  db: Db;
  redis: Redis;
  mailbox: Mailbox;
  logger: Logger;
  prefix: string;
  intervalMs: number;
  minAgeMs: number;
  batch?: number;
  /** Called with the number of sessions of a pass that had unfinished turns but no drain job (repaired). */
  onRepaired?: (sessions: number) => void;
  /** Pending webhook deliveries overdue by `overdueMs` lost their job: they are enqueued again. */
  webhooks?: { enqueuer: WebhookEnqueuer; overdueMs: number };
}

/**
 * Postgres is the record of what was accepted; Redis only schedules. Every interval one worker of
 * the fleet (whoever takes the lock) re-announces sessions that have unfinished turns. All mailbox
 * operations are idempotent, so this repairs what Redis lost (a restart without persistence, an API
 * that died between commit and enqueue) and costs a few round trips when nothing was lost.
 */
export function startReconciler(deps: ReconcilerDeps): { stop(): Promise<void>; runOnce(): Promise<number> } {
  const lockKey = reconcilerLockKey(deps.prefix);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runOnce(): Promise<number> {
    const rows = await sessionsWithPendingTurns(deps.db, {
      olderThan: new Date(Date.now() - deps.minAgeMs),
      limit: deps.batch ?? 500,
    });
    let repaired = 0;
    for (const row of rows) {
      const { created } = await deps.mailbox.enqueue(row.sessionId, row.turnIds, { force: true, tenantId: row.tenantId });
      if (created) repaired++;
    }
    // Parked sessions are announced already (enqueue leaves them parked); what could strand them is a
    // share that grew without a release of their tenant's, or a promotion a crash cut short.
    for (const tenantId of await deps.mailbox.parkedTenants()) await deps.mailbox.topUp(tenantId);
    if (repaired > 0) deps.onRepaired?.(repaired);
    if (deps.webhooks) {
      const overdue = await overdueWebhookDeliveries(deps.db, { olderThan: new Date(Date.now() - deps.webhooks.overdueMs), limit: deps.batch ?? 500 });
      // A job that still exists (waiting, delayed, running) is left as it is: same id.
      await deps.webhooks.enqueuer.enqueue(overdue);
      if (overdue.length > 0) deps.logger.info({ deliveries: overdue.length }, "reconciler re-enqueued overdue webhook deliveries");
    }
    return rows.length;
  }

  async function tick() {
    try {
      const got = await deps.redis.set(lockKey, "1", "PX", Math.max(deps.intervalMs - 100, 100), "NX");
      if (got === "OK") {
        const n = await runOnce();
        if (n > 0) deps.logger.debug({ sessions: n }, "reconciler re-announced sessions");
      }
    } catch (err) {
      deps.logger.warn({ err }, "reconciler pass failed; will try again");
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, deps.intervalMs);
  };
  // The counter's series exists from the first scrape, so a first repair shows as an increase.
  deps.onRepaired?.(0);
  schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
