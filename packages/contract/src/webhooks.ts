import { webhookEventTypes } from "@turnq/core";
import { z } from "zod";
import { timestamp, turnId } from "./common.ts";

/** Largest body POST/PATCH /v1/webhooks reads. */
export const webhookBodyBytes = 16 * 1024;

export const webhookId = z.string().regex(/^wh_[0-9a-z]{26}$/).meta({ examples: ["wh_01jd8x3k6v2w4q9r7t5m3n1p0z"] });
export const webhookDeliveryId = z.string().regex(/^whd_[0-9a-z]{26}$/).meta({ examples: ["whd_01jd8x3k6v2w4q9r7t5m3n1p0z"] });

const eventList = z
  .array(z.enum(webhookEventTypes))
  .min(1)
  .max(webhookEventTypes.length * 4)
  .transform((list) => [...new Set(list)])
  .meta({ description: "The turn events sent to this endpoint (duplicates are dropped)." });
const url = z.string().min(1).max(2_048).meta({ description: "http(s), no credentials; must resolve to public addresses unless the operator set WEBHOOK_ALLOW_PRIVATE." });
const description = z.string().max(500);

export const createWebhookRequest = z
  .object({ url, events: eventList, description: description.optional() })
  .strict()
  .meta({ id: "CreateWebhookRequest", examples: [{ url: "https://example.com/turnq", events: ["turn.completed", "turn.failed"] }] });

export const updateWebhookRequest = z
  .object({ url: url.optional(), events: eventList.optional(), description: description.nullable().optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one of url, events, description, enabled." })
  .meta({ id: "UpdateWebhookRequest", examples: [{ enabled: false }] });

export const webhookEndpoint = z
  .object({
    id: webhookId,
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(webhookEventTypes)),
    enabled: z.boolean(),
    breaker: z.object({
      state: z.enum(["closed", "open", "half-open"]),
      consecutiveFailures: z.number().int(),
      openUntil: timestamp.nullable(),
    }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "WebhookEndpoint", description: "A webhook endpoint; its secret is never shown after the POST that creates it." });

export const createdWebhookEndpoint = webhookEndpoint
  .extend({ secret: z.string().regex(/^whsec_/).meta({ description: "The signing secret, shown this once (verify with verifyWebhook of @turnq/client)." }) })
  .meta({ id: "CreatedWebhookEndpoint" });

export const webhookEndpointList = z.object({ data: z.array(webhookEndpoint) }).meta({ id: "WebhookEndpointList" });

export const webhookDelivery = z
  .object({
    id: webhookDeliveryId,
    endpointId: webhookId,
    event: z.enum(webhookEventTypes),
    turnId,
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    nextAttemptAt: timestamp.nullable(),
    createdAt: timestamp,
    deliveredAt: timestamp.nullable(),
    attemptLog: z.array(
      z.object({
        attempt: z.number().int(),
        ok: z.boolean(),
        statusCode: z.number().int().nullable(),
        latencyMs: z.number().int().nullable(),
        error: z.string().nullable(),
        startedAt: timestamp,
      }),
    ),
  })
  .meta({ id: "WebhookDelivery" });

export const webhookDeliveryPage = z
  .object({ data: z.array(webhookDelivery), nextBefore: webhookDeliveryId.nullable().meta({ description: "Pass as `before` for the next (older) page; null on the last." }) })
  .meta({ id: "WebhookDeliveryPage" });

export type CreateWebhookRequest = z.input<typeof createWebhookRequest>;
export type UpdateWebhookRequest = z.input<typeof updateWebhookRequest>;
export type WebhookEndpoint = z.infer<typeof webhookEndpoint>;
export type CreatedWebhookEndpoint = z.infer<typeof createdWebhookEndpoint>;
export type WebhookDelivery = z.infer<typeof webhookDelivery>;
export type WebhookDeliveryPage = z.infer<typeof webhookDeliveryPage>;
