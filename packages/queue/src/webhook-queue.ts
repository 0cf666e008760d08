import type { Queue } from "bullmq";
import { webhookDeliveryJob, type WebhookDeliveryJobData } from "./job-catalog.ts";

export interface WebhookEnqueuer {
  /** Adds one job per delivery id (job id = delivery id: a job that already exists is left as it is). */
  enqueue(deliveryIds: readonly string[]): Promise<void>;
}

/** Turns committed delivery rows into jobs. Nothing is sent to Redis for an empty list. */
export function createWebhookEnqueuer(queue: Queue<WebhookDeliveryJobData>): WebhookEnqueuer {
  return {
    async enqueue(deliveryIds) {
      if (deliveryIds.length === 0) return;
      await queue.addBulk(
        deliveryIds.map((deliveryId) => ({
          name: webhookDeliveryJob.name,
          data: { deliveryId },
          opts: { ...webhookDeliveryJob.options, jobId: deliveryId },
        })),
      );
    },
  };
}
