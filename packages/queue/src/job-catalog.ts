import { z } from "zod";
import type { JobsOptions } from "bullmq";

/**
 * The one job type: "drain session X". Its payload carries only the id; turns and their content
 * stay in Postgres. API (producer) and worker (processor) both import this definition.
 */
export const drainJob = {
  queueName: "sessions",
  name: "drain",
  payload: z
    .object({
      sessionId: z.string().min(1),
      /** Whose share of the workers this drain counts against (fair scheduling); absent on jobs queued before tenants. */
      tenantId: z.string().min(1).max(128).optional(),
      /** W3C traceparent of the request whose enqueue created this job (span links, not parentage). */
      traceparent: z.string().max(128).optional(),
    })
    .strict(),
  options: {
    removeOnComplete: true,
    removeOnFail: true,
    // Failures of a whole drain (Postgres down, say) back off and retry; turn-level failures are
    // handled inside the job, where they belong to one turn and not to the session.
    attempts: 50,
    backoff: { type: "capped" },
  } satisfies JobsOptions,
} as const;

export type DrainJobData = z.infer<typeof drainJob.payload>;

/** The "capped" backoff named above: 1 s, 2 s, 4 s… never more than 30 s between drain retries. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, attemptsMade - 1));
}

/**
 * "Deliver webhook message X": one job per delivery for its whole retry schedule (each failed
 * attempt moves the job back to the delayed set), on a queue of its own, so a slow receiver never
 * holds a turn's slot. The payload is the delivery's id only: the event, the endpoint and its secret
 * stay in Postgres. The job id is the delivery id, so enqueueing again (the reconciler, a manual
 * redelivery racing a retry) never runs a delivery twice at once.
 */
export const webhookDeliveryJob = {
  queueName: "webhooks",
  name: "deliver",
  payload: z.object({ deliveryId: z.string().min(1).max(64) }).strict(),
  options: {
    removeOnComplete: true,
    removeOnFail: true,
    // These count only errors of our own (Postgres unreachable…); a receiver's failures are counted
    // per delivery in Postgres and scheduled by the processor. A job that still fails is re-enqueued
    // by the reconciler once its delivery is overdue.
    attempts: 8,
    backoff: { type: "capped" },
  } satisfies JobsOptions,
} as const;

export type WebhookDeliveryJobData = z.infer<typeof webhookDeliveryJob.payload>;
