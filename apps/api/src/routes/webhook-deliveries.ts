import { isId, limits, TurnqError } from "@turnq/core";
import { getWebhookEndpoint, listWebhookDeliveries, redeliverWebhook } from "@turnq/db";
import { Hono } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { webhookDeliveryJson } from "../webhook-json.ts";
import { notFound } from "./webhooks.ts";

/** An endpoint's delivery log (newest first, each with its attempts) and manual redelivery. */
export function webhookDeliveryRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .get("/v1/webhooks/:id/deliveries", async (c) => {
      const id = c.req.param("id");
      const tenantId = callerOf(c).tenantId;
      if (!isId("webhook", id) || !(await getWebhookEndpoint(deps.db, tenantId, id))) throw notFound(id);
      const before = c.req.query("before");
      if (before !== undefined && !isId("webhookDelivery", before)) throw new TurnqError("invalid_request", "before must be a delivery id (whd_…) from a previous page.");
      const rawLimit = c.req.query("limit") ?? "50";
      const limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
      if (!(limit >= 1 && limit <= limits.maxPageSize)) throw new TurnqError("invalid_request", `limit must be an integer from 1 to ${limits.maxPageSize}.`);
      const rows = await listWebhookDeliveries(deps.db, { tenantId, endpointId: id, before, limit });
      return c.json({ data: rows.map(webhookDeliveryJson), nextBefore: rows.length === limit ? rows.at(-1)!.id : null });
    })
    .post("/v1/webhooks/:id/deliveries/:deliveryId/redeliver", async (c) => {
      const id = c.req.param("id");
      const deliveryId = c.req.param("deliveryId");
      const missing = new TurnqError("not_found", `Delivery ${deliveryId} of webhook endpoint ${id} does not exist; see GET /v1/webhooks/${id}/deliveries.`);
      if (!isId("webhook", id) || !isId("webhookDelivery", deliveryId)) throw missing;
      const r = await redeliverWebhook(deps.db, { tenantId: callerOf(c).tenantId, endpointId: id, deliveryId });
      if (r.kind === "not_found") throw missing;
      if (r.kind === "in_progress") {
        throw new TurnqError("delivery_in_progress", `Delivery ${deliveryId} is still being retried (next attempt ${r.delivery.nextAttemptAt?.toISOString() ?? "soon"}); redeliver it once it is delivered or given up.`);
      }
      // Committed first: if this enqueue is lost, the reconciler enqueues the overdue delivery.
      await deps.webhooks.enqueue([deliveryId]).catch((err: Error) => deps.logger.warn({ deliveryId, err: err.message }, "could not enqueue a redelivery; the reconciler will"));
      return c.json(webhookDeliveryJson({ ...r.delivery, attemptLog: [] }), 202);
    });
}
