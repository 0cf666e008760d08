import { createWebhookRequest, updateWebhookRequest, webhookBodyBytes } from "@turnq/contract";
import { isId, TurnqError } from "@turnq/core";
import { createWebhookEndpoint, deleteWebhookEndpoint, getWebhookEndpoint, listWebhookEndpoints, updateWebhookEndpoint } from "@turnq/db";
import { Hono } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { validate } from "../validate.ts";
import { webhookEndpointJson } from "../webhook-json.ts";
import { newWebhookSecret } from "../webhook-secret.ts";
import { webhookUrlProblem } from "../webhook-url.ts";

/**
 * Webhook endpoints of the caller's tenant. The signing secret is generated here and answered once,
 * by the POST; nothing else returns or logs it.
 */
export function webhookRoutes(deps: ApiDeps) {
  const checkUrl = async (raw: string) => {
    const problem = await webhookUrlProblem(raw, deps.webhookAllowPrivate);
    if (problem) {
      throw new TurnqError("validation_failed", "The webhook URL cannot be used; see `errors`.", { details: { errors: [{ path: "url", message: problem }] } });
    }
  };
  const find = async (tenantId: string, id: string) => {
    const row = isId("webhook", id) ? await getWebhookEndpoint(deps.db, tenantId, id) : undefined;
    if (!row) throw notFound(id);
    return row;
  };
  return new Hono<AppEnv>()
    .post("/v1/webhooks", jsonBody(webhookBodyBytes), async (c) => {
      const body = validate(createWebhookRequest, c.get("body"));
      await checkUrl(body.url);
      const secret = newWebhookSecret();
      const row = await createWebhookEndpoint(deps.db, { tenantId: callerOf(c).tenantId, url: body.url, events: body.events, description: body.description ?? null, secret });
      c.header("location", `/v1/webhooks/${row.id}`);
      return c.json({ ...webhookEndpointJson(row), secret }, 201);
    })
    .get("/v1/webhooks", async (c) => {
      const rows = await listWebhookEndpoints(deps.db, callerOf(c).tenantId);
      return c.json({ data: rows.map((r) => webhookEndpointJson(r)) });
    })
    .get("/v1/webhooks/:id", async (c) => c.json(webhookEndpointJson(await find(callerOf(c).tenantId, c.req.param("id")))))
    .patch("/v1/webhooks/:id", jsonBody(webhookBodyBytes), async (c) => {
      const id = c.req.param("id");
      if (!isId("webhook", id)) throw notFound(id);
      const body = validate(updateWebhookRequest, c.get("body"));
      if (body.url !== undefined) await checkUrl(body.url);
      const row = await updateWebhookEndpoint(deps.db, callerOf(c).tenantId, id, body);
      if (!row) throw notFound(id);
      return c.json(webhookEndpointJson(row));
    })
    .delete("/v1/webhooks/:id", async (c) => {
      const id = c.req.param("id");
      if (!isId("webhook", id) || !(await deleteWebhookEndpoint(deps.db, callerOf(c).tenantId, id))) throw notFound(id);
      return c.body(null, 204);
    });
}

export function notFound(id: string): TurnqError {
  return new TurnqError("not_found", `Webhook endpoint ${id} does not exist; list yours with GET /v1/webhooks.`);
}
