import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { webhookAttempts, webhookDeliveries, type WebhookAttemptRow, type WebhookDeliveryRow } from "../schema/index.ts";

export type DeliveryWithAttempts = WebhookDeliveryRow & { attemptLog: Omit<WebhookAttemptRow, "id" | "deliveryId">[] };

/** An endpoint's delivery log, newest first, each delivery with its attempts (at most 20, the latest). */
export async function listWebhookDeliveries(
  db: Db,
  args: { tenantId: string; endpointId: string; before?: string | undefined; limit: number },
): Promise<DeliveryWithAttempts[]> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.tenantId, args.tenantId),
        eq(webhookDeliveries.endpointId, args.endpointId),
        args.before ? lt(webhookDeliveries.id, args.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(args.limit);
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(webhookAttempts)
    .where(sql`${webhookAttempts.deliveryId} in ${rows.map((r) => r.id)} and ${webhookAttempts.attempt} > (
      select d.attempts - 20 from webhook_deliveries d where d.id = ${webhookAttempts.deliveryId})`)
    .orderBy(webhookAttempts.deliveryId, webhookAttempts.attempt);
  return rows.map((d) => ({
    ...d,
    attemptLog: attempts.filter((a) => a.deliveryId === d.id).map(({ id: _id, deliveryId: _d, ...a }) => a),
  }));
}

export type RedeliverResult = { kind: "not_found" } | { kind: "in_progress"; delivery: WebhookDeliveryRow } | { kind: "queued"; delivery: WebhookDeliveryRow };

/**
 * A delivered or given-up delivery is made pending again with a fresh retry schedule (same
 * `webhook-id`, so a receiver that already has it can tell). One still pending is being retried
 * already: the caller says so rather than starting a second schedule beside it.
 */
export async function redeliverWebhook(db: Db, args: { tenantId: string; endpointId: string; deliveryId: string }): Promise<RedeliverResult> {
  const where = and(
    eq(webhookDeliveries.tenantId, args.tenantId),
    eq(webhookDeliveries.endpointId, args.endpointId),
    eq(webhookDeliveries.id, args.deliveryId),
  );
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: "pending", scheduleStep: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(where, sql`${webhookDeliveries.status} <> 'pending'`))
    .returning();
  if (row) return { kind: "queued", delivery: row };
  const [existing] = await db.select().from(webhookDeliveries).where(where);
  return existing ? { kind: "in_progress", delivery: existing } : { kind: "not_found" };
}

/**
 * Deliveries still pending long after their attempt was due: their job was lost (a Redis restart
 * without persistence, a crash between commit and enqueue). Re-adding a job whose id still exists
 * does nothing, so the reconciler can hand every one of these back to the queue.
 */
export async function overdueWebhookDeliveries(db: Db, args: { olderThan: Date; limit: number }): Promise<string[]> {
  const rows = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lt(webhookDeliveries.nextAttemptAt, args.olderThan)))
    .orderBy(webhookDeliveries.nextAttemptAt)
    .limit(args.limit);
  return rows.map((r) => r.id);
}
