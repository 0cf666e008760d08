import type { Db } from "../client.ts";
import type { Tx } from "../fencing.ts";
import { sql } from "drizzle-orm";

/**
 * How a turn's final status becomes webhook deliveries: one row per enabled endpoint of the turn's
 * tenant subscribed to `turn.<status>`, created in the same statement or transaction as the status
 * itself (so an event is never lost between the two), at most once per (endpoint, turn, event) by
 * the unique key. With no endpoint registered this inserts nothing and costs one index probe; the
 * caller enqueues delivery jobs only for the ids it gets back.
 */

/** INSERT … SELECT creating the deliveries of `turn` (an alias with id, tenant_id, status). */
export function insertTurnDeliveriesSql(turn: string): string {
  return `insert into webhook_deliveries (id, tenant_id, endpoint_id, turn_id, event)
  select turnq_new_id('whd'), e.tenant_id, e.id, ${turn}.id, 'turn.' || ${turn}.status
  from ${turn} join webhook_endpoints e
    on e.tenant_id = ${turn}.tenant_id and e.enabled and ('turn.' || ${turn}.status) = any(e.events)
  where ${turn}.status in ('completed', 'failed', 'cancelled')
  on conflict (endpoint_id, turn_id, event) do nothing
  returning id`;
}

/**
 * The deliveries of a turn that already has its final status (failed by the claim or after an
 * error, cancelled while queued). Idempotent: a second call creates nothing. Pass the transaction
 * that set the status, so both commit together.
 */
export async function createTurnDeliveries(db: Db | Tx, turnId: string): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(
    sql`with t as (select id, tenant_id, status from turns where id = ${turnId}) ${sql.raw(insertTurnDeliveriesSql("t"))}`,
  );
  return [...rows].map((r) => r.id);
}
