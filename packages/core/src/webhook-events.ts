/** The events a webhook endpoint can subscribe to: a turn reaching each final status. */
export const webhookEventTypes = ["turn.completed", "turn.failed", "turn.cancelled"] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];
