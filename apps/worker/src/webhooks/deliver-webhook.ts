import { DelayedError, type Processor } from "bullmq";
import {
  deferWebhookDelivery,
  disableWebhookEndpoint,
  giveUpWebhookDelivery,
  loadDeliveryToAttempt,
  recordWebhookAttempt,
  takeBreakerProbe,
  type Db,
  type DeliveryToAttempt,
} from "@turnq/db";
import { webhookDeliveryJob, type WebhookDeliveryJobData } from "@turnq/queue";
import type { Dispatcher } from "undici";
import type { Logger } from "pino";
import { nextAttemptAt } from "./retry-schedule.ts";
import { sendWebhook } from "./send-webhook.ts";
import { signWebhook } from "./sign-webhook.ts";
import { webhookPayload } from "./webhook-payload.ts";

export interface WebhookDeliveryDeps {
  db: Db;
  logger: Logger;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Delays after each failed attempt (WEBHOOK_RETRY_SCHEDULE_MS). */
  schedule: readonly number[];
  /** Failed attempts in a row that open an endpoint's breaker, and how long it stays open. */
  breaker: { failures: number; openMs: number };
}

/**
 * The processor of a delivery job: one attempt per run. A failure records its log row and moves
 * the same job to the delayed set until the next attempt the schedule allows; an open breaker
 * moves it there without an attempt (deliveries wait, none is dropped). Errors of our own (Postgres
 * unreachable) throw, and BullMQ retries the job; a worker that dies mid-attempt leaves a stalled
 * job that BullMQ hands to another worker: the receiver may then get the message twice (same
 * `webhook-id`), never zero times.
 */
export function createWebhookProcessor(deps: WebhookDeliveryDeps): Processor<WebhookDeliveryJobData> {
  return async (job, token) => {
    const { deliveryId } = webhookDeliveryJob.payload.parse(job.data);
    const d = await loadDeliveryToAttempt(deps.db, deliveryId);
    // Delivered, given up, or deleted with its endpoint meanwhile: nothing to do.
    if (!d || d.status !== "pending") return "skipped";
    if (!d.endpoint.enabled) {
      await giveUpWebhookDelivery(deps.db, d.id, "The endpoint is disabled; enable it (PATCH /v1/webhooks/{id} {\"enabled\": true}) and redeliver.");
      return "endpoint disabled";
    }
    const waitUntil = await breakerWait(deps, d);
    if (waitUntil) {
      await deferWebhookDelivery(deps.db, d.id, waitUntil);
      await job.moveToDelayed(waitUntil.getTime() + Math.floor(Math.random() * 1_000), token);
      throw new DelayedError();
    }

    const body = webhookPayload(d.event, d.turn);
    const timestamp = Math.floor(Date.now() / 1000);
    const startedAt = new Date();
    const result = await sendWebhook({
      dispatcher: deps.dispatcher,
      url: d.endpoint.url,
      body,
      timeoutMs: deps.timeoutMs,
      headers: {
        "content-type": "application/json",
        "user-agent": "turnq-webhooks/1",
        "webhook-id": d.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(d.endpoint.secret, d.id, timestamp, body),
      },
    });
    // 410 Gone: the receiver says the endpoint no longer exists; no retry, and the endpoint is disabled.
    const gone = result.statusCode === 410;
    const next = result.ok || gone ? null : nextAttemptAt(d.scheduleStep, deps.schedule);
    const breaker = await recordWebhookAttempt(deps.db, { deliveryId: d.id, ...result, startedAt, nextAttemptAt: next, breaker: deps.breaker });
    if (result.ok) return "delivered";
    if (gone) {
      await disableWebhookEndpoint(deps.db, d.endpoint.id);
      deps.logger.warn({ deliveryId: d.id, endpointId: d.endpoint.id }, "webhook receiver answered 410 Gone; endpoint disabled");
      return "gone";
    }
    deps.logger.info(
      { deliveryId: d.id, endpointId: d.endpoint.id, attempt: d.attempts + 1, status: result.statusCode, err: result.error, next: next?.toISOString() ?? null },
      next ? "webhook delivery failed; will retry" : "webhook delivery failed; retry schedule spent",
    );
    if (!next || !breaker) return "failed";
    await job.moveToDelayed(next.getTime(), token);
    throw new DelayedError();
  };
}

/**
 * When the endpoint's breaker keeps this delivery waiting: open (until its time), or half-open with
 * another delivery already probing. Undefined: go ahead (closed, or this one is the probe).
 */
async function breakerWait(deps: WebhookDeliveryDeps, d: DeliveryToAttempt): Promise<Date | undefined> {
  const until = d.endpoint.circuitOpenUntil;
  if (until === null) return undefined;
  if (until.getTime() > Date.now()) return until;
  return takeBreakerProbe(deps.db, d.endpoint.id, deps.breaker.openMs);
}
