import { isId, TurnqError } from "@turnq/core";
import { cancelTurn } from "@turnq/db";
import { Hono } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { turnJson } from "../serialize.ts";

/**
 * POST /v1/turns/{id}/cancel. A queued turn is cancelled at once (202 with status "cancelled"); a
 * running one is asked to stop (202, still "running" until its worker has recorded the stop: wait on
 * GET /v1/turns/{id} with Prefer: wait). Cancelling again, or a finished turn, is a no-op.
 */
export function cancelRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().post("/v1/turns/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const { turn, webhookDeliveries } = isId("turn", id) ? await cancelTurn(deps.db, id, callerOf(c).tenantId) : { turn: undefined, webhookDeliveries: [] };
    if (!turn) throw new TurnqError("not_found", `Turn ${id} does not exist.`);
    // Committed with the cancel: were this enqueue lost, the reconciler enqueues the overdue deliveries.
    if (webhookDeliveries.length > 0) {
      await deps.webhooks.enqueue(webhookDeliveries).catch((err: Error) => deps.logger.warn({ turnId: id, err: err.message }, "could not enqueue webhook deliveries; the reconciler will"));
    }
    if (turn.status === "running") await deps.signals.cancel(turn.id).catch(() => 0);
    if (turn.status === "cancelled") await deps.signals.done(turn).catch(() => 0);
    return c.json(turnJson(turn, deps.jaegerUiUrl), 202);
  });
}
