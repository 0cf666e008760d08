/**
 * Every Redis key and pub/sub channel turnq uses, named here and nowhere else (BullMQ names its own
 * queue keys under the same prefix). Per-session keys share a `{sessionId}` hash tag, so the Lua
 * scripts that touch several of them stay valid on Redis Cluster.
 */
import { drainJob, webhookDeliveryJob } from "./job-catalog.ts";

export function sessionKeys(prefix: string, sessionId: string) {
  const base = `${prefix}:s:{${sessionId}}`;
  return {
    /** Set of accepted turn ids that are not yet known to be finished. */
    pending: `${base}:pending`,
    /** Id of the session's one drain job while it has one. */
    drain: `${base}:drain`,
    /** Capped stream of the session's live events (status, deltas, tools, log entries) for SSE. */
    events: `${base}:events`,
    /** The tenant whose share the session's drain counts against, while it has a drain (fair scheduling). */
    tenant: `${base}:tenant`,
  };
}

/**
 * The drain key of a session as two parts around its id (head + sessionId + tail), for the fair
 * scheduling scripts, which promote parked sessions they only know by id (as BullMQ builds job keys
 * from a prefix and an id).
 */
export function sessionDrainKeyParts(prefix: string): [head: string, tail: string] {
  const probe = sessionKeys(prefix, "\u0000").drain;
  const at = probe.indexOf("\u0000");
  return [probe.slice(0, at), probe.slice(at + 1)];
}

/**
 * Fair scheduling of one tenant (see tenant-share-lua.ts): `parked`, the list of its sessions waiting
 * for its share, in arrival order; `field`, the prefix of its fields in the fleet's share hash
 * (`<field>s` its drain jobs in BullMQ, `<field>p` its parked sessions, `<field>w` its weight).
 */
export function tenantKeys(prefix: string, tenantId: string) {
  return { parked: `${prefix}:t:{${tenantId}}:parked`, field: `t:${tenantId}:` };
}

/**
 * Fleet-wide fair scheduling state: `share` is one hash (`slots`: worker slots of the live fleet,
 * `weights`: sum of the weights of tenants with work, `sched`: drain jobs in BullMQ, `parked`:
 * sessions parked, `seq`: promotion counter for fresh job ids, and each tenant's fields, tenantKeys);
 * `slots` a sorted set of live workers (member `<worker id>#<concurrency>`, score: expiry ms);
 * `parkedTenants` the tenants with parked sessions.
 */
export function fairShareKeys(prefix: string) {
  return { share: `${prefix}:fair`, slots: `${prefix}:fair:slots`, parkedTenants: `${prefix}:fair:parked-tenants` };
}

/** Token buckets of the API's rate limits (one per API key, one per tenant), shared by all API processes. */
export function rateLimitKeys(prefix: string, tenantId: string, keyId: string) {
  return { key: `${prefix}:rl:k:{${keyId}}`, tenant: `${prefix}:rl:t:{${tenantId}}` };
}

/** Nudges API processes that a session's event stream grew (message: the turn id). */
export function sessionEventsChannel(prefix: string, sessionId: string): string {
  return `${prefix}:events:${sessionId}`;
}

/**
 * Turns that reached a final status, for long-polling requests: one channel every API process
 * subscribes to once; the message carries the turn itself, so a waiter answers without a read.
 */
export function turnsDoneChannel(prefix: string): string {
  return `${prefix}:turns:done`;
}

/**
 * Revoked API keys (message: the key's id, never the key or its hash); every API process listens and
 * drops the key from its cache, so a revocation takes effect everywhere within moments.
 */
export function apiKeyRevokedChannel(prefix: string): string {
  return `${prefix}:keys:revoked`;
}

/** Cancel requests for running turns (message: the turn id); every worker listens. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/** Hash of live workers' heartbeats (field: instance id). */
export function workersKey(prefix: string): string {
  return `${prefix}:workers`;
}

/** Lock that lets one worker at a time run the reconciler. */
export function reconcilerLockKey(prefix: string): string {
  return `${prefix}:reconciler`;
}

/**
 * One of BullMQ's lists of the drain queue, named here so deployments watch the key the queue really
 * uses: `wait` holds the drain jobs no worker has taken yet (one per waiting session), `active` the
 * ones being run. KEDA's Redis scaler sizes the worker fleet from their lengths (deploy/k8s).
 */
export function queueListKey(prefix: string, list: "wait" | "active"): string {
  return `${prefix}:${drainJob.queueName}:${list}`;
}

/**
 * BullMQ's lists of the webhook delivery queue (`<prefix>:webhooks:wait|active|delayed`): deliveries
 * waiting for a slot, being sent, and waiting for their next attempt (retries, open breakers).
 */
export function webhookQueueListKey(prefix: string, list: "wait" | "active" | "delayed"): string {
  return `${prefix}:${webhookDeliveryJob.queueName}:${list}`;
}

/** Fleet-wide admission (in-flight count and token bucket) for one LLM provider endpoint. */
export function providerKeys(prefix: string, provider: string) {
  const base = `${prefix}:llm:{${provider}}`;
  return { inFlight: `${base}:inflight`, bucket: `${base}:tokens` };
}

/**
 * CLIENT SETNAME of a worker's presence connection: it exists exactly as long as the worker process
 * (the kernel closes it when the process dies, however it dies; a blocked event loop keeps it).
 * `workerId` is the BullMQ worker's id, the first part of every lock token it holds.
 */
export function presenceClientName(workerId: string): string {
  return `turnq-presence:${workerId}`;
}
