import type { WebhookDelivery, WebhookEndpoint } from "@turnq/contract";
import type { DeliveryWithAttempts, WebhookEndpointRow } from "@turnq/db";

/** An endpoint as the API shows it: never its secret (that is shown once, by the POST that creates it). */
export function webhookEndpointJson(e: WebhookEndpointRow, now = Date.now()): WebhookEndpoint {
  const open = e.circuitOpenUntil;
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    breaker: {
      state: open === null ? "closed" : open.getTime() > now ? "open" : "half-open",
      consecutiveFailures: e.consecutiveFailures,
      openUntil: open?.toISOString() ?? null,
    },
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function webhookDeliveryJson(d: DeliveryWithAttempts): WebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    event: d.event,
    turnId: d.turnId,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastLatencyMs: d.lastLatencyMs,
    nextAttemptAt: d.status === "pending" ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    attemptLog: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      ok: a.ok,
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
      startedAt: a.startedAt.toISOString(),
    })),
  };
}
