import type { WebhookEventType } from "@turnq/core";
import type { Db } from "../client.ts";
import { prepared, toTurnRow, type RawTurn, type Statement } from "../raw-rows.ts";
import type { TurnRow } from "../schema/index.ts";

/**
 * The worker's side of a delivery: read what one attempt needs, take the breaker's half-open probe,
 * record the attempt's outcome (delivery log row, delivery status, endpoint breaker) in one
 * statement. All of it only while the delivery is `pending`: a delivery that was delivered, given
 * up, or deleted with its endpoint is left alone.
 */

export interface DeliveryToAttempt {
  id: string;
  event: WebhookEventType;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  scheduleStep: number;
  createdAt: Date;
  endpoint: { id: string; url: string; secret: string; enabled: boolean; consecutiveFailures: number; circuitOpenUntil: Date | null };
  turn: TurnRow;
}

const loadStatement: Statement = {
  operation: "SELECT",
  collection: "webhook_deliveries",
  name: "load_webhook_delivery",
  text: `select d.id, d.event, d.status, d.attempts, d.schedule_step, d.created_at,
  e.id as endpoint_id, e.url, e.secret, e.enabled, e.consecutive_failures, e.circuit_open_until, row_to_json(t) as turn
from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id join turns t on t.id = d.turn_id
where d.id = $1`,
};

export async function loadDeliveryToAttempt(db: Db, deliveryId: string): Promise<DeliveryToAttempt | undefined> {
  const [r] = await prepared<{
    id: string;
    event: WebhookEventType;
    status: DeliveryToAttempt["status"];
    attempts: number;
    schedule_step: number;
    created_at: string | Date;
    endpoint_id: string;
    url: string;
    secret: string;
    enabled: boolean;
    consecutive_failures: number;
    circuit_open_until: string | Date | null;
    turn: RawTurn;
  }>(db, loadStatement, [deliveryId]);
  if (!r) return undefined;
  return {
    id: r.id,
    event: r.event,
    status: r.status,
    attempts: r.attempts,
    scheduleStep: r.schedule_step,
    createdAt: new Date(r.created_at),
    endpoint: {
      id: r.endpoint_id,
      url: r.url,
      secret: r.secret,
      enabled: r.enabled,
      consecutiveFailures: r.consecutive_failures,
      circuitOpenUntil: r.circuit_open_until === null ? null : new Date(r.circuit_open_until),
    },
    turn: toTurnRow(r.turn),
  };
}

const probeStatement: Statement = {
  operation: "UPDATE",
  collection: "webhook_endpoints",
  name: "probe_webhook_endpoint",
  text: `update webhook_endpoints set circuit_open_until = now() + $2::int * interval '1 millisecond'
where id = $1 and circuit_open_until <= now() returning circuit_open_until`,
};

/**
 * Half-open: the breaker's open time is over and one attempt may test the receiver. Whoever moves
 * the open time forward first is that probe; every other delivery waits for its outcome.
 * Returns undefined when this caller is the probe, else when to look again.
 */
export async function takeBreakerProbe(db: Db, endpointId: string, openMs: number): Promise<Date | undefined> {
  const [won] = await prepared<{ circuit_open_until: string }>(db, probeStatement, [endpointId, openMs]);
  return won ? undefined : new Date(Date.now() + openMs);
}

const recordStatement: Statement = {
  operation: "INSERT",
  collection: "webhook_attempts",
  name: "record_webhook_attempt",
  text: `with d0 as (
  select id, attempts, endpoint_id from webhook_deliveries where id = $1 and status = 'pending' for update
), a as (
  insert into webhook_attempts (delivery_id, attempt, ok, status_code, error, latency_ms, started_at)
  select id, attempts + 1, $2::boolean, $3::int, $4::text, $5::int, $6::timestamptz from d0
), d as (
  update webhook_deliveries set attempts = attempts + 1, schedule_step = schedule_step + 1,
    status = case when $2::boolean then 'delivered' when $7::timestamptz is null then 'failed' else 'pending' end,
    next_attempt_at = case when $2::boolean then null else $7::timestamptz end,
    last_status_code = $3::int, last_error = $4::text, last_latency_ms = $5::int, updated_at = now(),
    delivered_at = case when $2::boolean then now() else delivered_at end
  where id = (select id from d0)
  returning endpoint_id
)
update webhook_endpoints set
  consecutive_failures = case when $2::boolean then 0 else consecutive_failures + 1 end,
  circuit_open_until = case when $2::boolean then null
    when consecutive_failures + 1 >= $8::int then now() + $9::int * interval '1 millisecond'
    else circuit_open_until end
where id = (select endpoint_id from d)
returning consecutive_failures, circuit_open_until`,
};

export interface AttemptOutcome {
  deliveryId: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  startedAt: Date;
  /** When the next attempt is due; null when this failure was the last the schedule allows. */
  nextAttemptAt: Date | null;
  breaker: { failures: number; openMs: number };
}

/** Records one attempt; returns the endpoint's breaker afterwards (undefined: the delivery was no longer pending). */
export async function recordWebhookAttempt(db: Db, o: AttemptOutcome): Promise<{ consecutiveFailures: number; circuitOpenUntil: Date | null } | undefined> {
  const [r] = await prepared<{ consecutive_failures: number; circuit_open_until: string | Date | null }>(db, recordStatement, [
    o.deliveryId,
    o.ok,
    o.statusCode,
    o.error,
    o.latencyMs,
    // As ISO text: drizzle configures postgres.js without its Date serializer.
    o.startedAt.toISOString(),
    o.nextAttemptAt?.toISOString() ?? null,
    o.breaker.failures,
    o.breaker.openMs,
  ]);
  return r ? { consecutiveFailures: r.consecutive_failures, circuitOpenUntil: r.circuit_open_until === null ? null : new Date(r.circuit_open_until) } : undefined;
}

const deferStatement: Statement = {
  operation: "UPDATE",
  collection: "webhook_deliveries",
  name: "defer_webhook_delivery",
  text: `update webhook_deliveries set next_attempt_at = $2::timestamptz, updated_at = now() where id = $1 and status = 'pending'`,
};

/** The delivery waits (open breaker) without spending an attempt; the reconciler sees when it is due. */
export async function deferWebhookDelivery(db: Db, deliveryId: string, until: Date): Promise<void> {
  await prepared(db, deferStatement, [deliveryId, until.toISOString()]);
}

const giveUpStatement: Statement = {
  operation: "UPDATE",
  collection: "webhook_deliveries",
  name: "give_up_webhook_delivery",
  text: `update webhook_deliveries set status = 'failed', next_attempt_at = null, last_error = $2::text, updated_at = now()
where id = $1 and status = 'pending'`,
};

/** Ends a delivery without an attempt (its endpoint was disabled); it can be redelivered by hand. */
export async function giveUpWebhookDelivery(db: Db, deliveryId: string, reason: string): Promise<void> {
  await prepared(db, giveUpStatement, [deliveryId, reason]);
}

const disableStatement: Statement = {
  operation: "UPDATE",
  collection: "webhook_endpoints",
  name: "disable_webhook_endpoint",
  text: `update webhook_endpoints set enabled = false, updated_at = now() where id = $1`,
};

/** A receiver that answers 410 Gone asks not to be called again (Standard Webhooks): its endpoint is disabled. */
export async function disableWebhookEndpoint(db: Db, endpointId: string): Promise<void> {
  await prepared(db, disableStatement, [endpointId]);
}
