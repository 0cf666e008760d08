import { newId, type WebhookEventType } from "@turnq/core";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { webhookEndpoints, type WebhookEndpointRow } from "../schema/index.ts";

/** Every query is scoped by tenant: another tenant's endpoint is indistinguishable from a missing one. */

export async function createWebhookEndpoint(
  db: Db,
  args: { tenantId: string; url: string; events: WebhookEventType[]; description: string | null; secret: string },
): Promise<WebhookEndpointRow> {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({ id: newId("webhook"), tenantId: args.tenantId, url: args.url, events: args.events, description: args.description, secret: args.secret })
    .returning();
  return row!;
}

/** Newest first; a tenant has few endpoints, and the list is bounded anyway. */
export async function listWebhookEndpoints(db: Db, tenantId: string, limit = 100): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(desc(webhookEndpoints.id)).limit(limit);
}

export async function getWebhookEndpoint(db: Db, tenantId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
  return row;
}

export interface WebhookEndpointPatch {
  url?: string | undefined;
  events?: WebhookEventType[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** Enabling an endpoint again also closes its breaker: the operator says the receiver is back. */
export async function updateWebhookEndpoint(db: Db, tenantId: string, id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.enabled === true ? { consecutiveFailures: 0, circuitOpenUntil: null } : {}),
      updatedAt: sql`now()`,
    })
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .returning();
  return row;
}

/** Removes the endpoint with its delivery log (cascade); a delivery job still queued finds nothing and ends. */
export async function deleteWebhookEndpoint(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}
