import { Queue, Worker } from "bullmq";
import { anyAddress, createGuardedAgent, publicAddressesOnly } from "@turnq/tools";
import {
  cappedBackoff,
  createRedis,
  createWebhookEnqueuer,
  webhookDeliveryJob,
  whenReady,
  type WebhookDeliveryJobData,
  type WebhookEnqueuer,
} from "@turnq/queue";
import type { Db } from "@turnq/db";
import type { Logger } from "pino";
import { createWebhookProcessor } from "./deliver-webhook.ts";

export interface WebhookWorkerOptions {
  db: Db;
  logger: Logger;
  redisUrl: string;
  /** The BullMQ prefix of the delivery queue (keys.ts webhookQueuePrefix). */
  queuePrefix: string;
  concurrency: number;
  timeoutMs: number;
  schedule: readonly number[];
  breaker: { failures: number; openMs: number };
  allowPrivate: boolean;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/**
 * The worker process's second BullMQ worker: webhook deliveries, on their own queue, connections and
 * concurrency (WEBHOOK_CONCURRENCY), so receivers, however slow, never take a slot from turns.
 */
export interface RunningWebhookWorker {
  /** Adds delivery jobs; fails fast while Redis is away (the reconciler enqueues what was missed). */
  enqueuer: WebhookEnqueuer;
  /** Stops taking deliveries and waits for the ones in flight (each ends within WEBHOOK_TIMEOUT_MS). */
  stopDelivering(): Promise<void>;
  /** Then closes the producer side; call once the turns that enqueue have stopped. Idempotent. */
  close(): Promise<void>;
}

export async function startWebhookWorker(o: WebhookWorkerOptions): Promise<RunningWebhookWorker> {
  const onRedisError = (err: Error) => o.logger.warn({ err: err.message }, "redis connection error (retrying)");
  // Fail fast: a turn's settlement must never wait on Redis for its webhooks.
  const producer = createRedis(o.redisUrl, "producer", onRedisError);
  const queue = new Queue<WebhookDeliveryJobData>(webhookDeliveryJob.queueName, { connection: producer, prefix: o.queuePrefix });
  queue.on("error", onRedisError);
  // Keep-alive connections to receivers, through the same SSRF guard as http_get.
  const dispatcher = createGuardedAgent({ isAllowedAddress: o.allowPrivate ? anyAddress : publicAddressesOnly, timeoutMs: o.timeoutMs });
  const connection = createRedis(o.redisUrl, "worker", onRedisError);
  const worker = new Worker<WebhookDeliveryJobData>(
    webhookDeliveryJob.queueName,
    createWebhookProcessor({ db: o.db, logger: o.logger, dispatcher, timeoutMs: o.timeoutMs, schedule: o.schedule, breaker: o.breaker }),
    {
      connection,
      prefix: o.queuePrefix,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      // A delivery whose worker died is handed on; the attempt bound lives in Postgres (the schedule).
      maxStalledCount: 100,
      settings: { backoffStrategy: cappedBackoff },
    },
  );
  worker.on("error", (err) => o.logger.error({ err: err.message }, "webhook worker error"));
  worker.on("failed", (job, err) => o.logger.warn({ jobId: job?.id, err: err.message }, "webhook delivery job failed; it will be retried"));
  await worker.waitUntilReady();
  await Promise.race([whenReady(producer), new Promise((r) => setTimeout(r, 5_000).unref())]);
  let stopping: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const stopDelivering = () =>
    (stopping ??= (async () => {
      await worker.close();
      await connection.quit().catch(() => {});
    })());
  return {
    enqueuer: createWebhookEnqueuer(queue),
    stopDelivering,
    close: () =>
      (closing ??= (async () => {
        await stopDelivering();
        await queue.close();
        await producer.quit().catch(() => {});
        await dispatcher.close().catch(() => {});
      })()),
  };
}
