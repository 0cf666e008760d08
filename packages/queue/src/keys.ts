/**
 * Every Redis key and pub/sub channel turnq uses, named here and nowhere else (BullMQ names its own
 * queue keys under the prefix `queuePrefix` gives it).
 *
 * Sharding (Redis Cluster). Sessions are spread over `shards` BullMQ drain queues; a session always
 * maps to the same shard (`shardOf`, a stable hash of its id). In the *tagged* layout (a cluster, or
 * more than one shard) every key of a shard, its BullMQ queue and the mailbox and event stream of
 * each of its sessions, carries the shard's hash tag (`{q<i>-<k>}`): they share one slot, so every
 * Lua script, BullMQ's and turnq's, touches one slot, and a script may touch a session's keys and
 * its queue's keys together. The shard is the unit of placement: use at least as many shards as
 * masters. The untagged layout (one shard on a single Redis, the default) keeps the names turnq has
 * always used, so an existing deployment keeps its queue and mailboxes.
 */
import { drainJob, webhookDeliveryJob } from "./job-catalog.ts";
import { clusterSlots, hashSlot } from "./hash-slot.ts";

export interface KeySpace {
  /** TURNQ_PREFIX: the first part of every key and channel. */
  prefix: string;
  /** QUEUE_SHARDS: how many drain queues sessions are spread over. */
  shards: number;
  /** Keys carry their shard's hash tag (required on a Redis Cluster, implied by shards > 1). */
  tagged: boolean;
}

export function keySpace(prefix: string, opts: { shards?: number; cluster?: boolean } = {}): KeySpace {
  const shards = opts.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`QUEUE_SHARDS must be a positive integer, got ${shards}`);
  return { prefix, shards, tagged: opts.cluster === true || shards > 1 };
}

/** The shard of a session: FNV-1a of its id, so every process, in any version, agrees. */
export function shardOf(space: KeySpace, sessionId: string): number {
  if (space.shards === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) h = Math.imul(h ^ sessionId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % space.shards;
}

const tags = new Map<string, string>();

/**
 * Shard `shard`'s hash tag: the first `q<shard>-<k>` (k = 0, 1, …) whose slot lies in the middle of
 * the shard's share of the slot space (slots [i, i+1) × 16384 / shards, away from the edges). A
 * cluster made with `redis-cli --cluster create` gives each master an equal run of slots, so with as
 * many shards as masters each master gets one shard, and with a multiple of it, the same number.
 */
export function shardTag(shards: number, shard: number): string {
  const cacheKey = `${shards}/${shard}`;
  const known = tags.get(cacheKey);
  if (known) return known;
  const lo = (shard * clusterSlots) / shards;
  const hi = ((shard + 1) * clusterSlots) / shards;
  const margin = (hi - lo) / 4;
  for (let k = 0; ; k++) {
    const tag = `q${shard}-${k}`;
    const slot = hashSlot(tag);
    if (slot >= lo + margin && slot < hi - margin) {
      tags.set(cacheKey, tag);
      return tag;
    }
  }
}

/** Where a shard's keys live: `<prefix>` (untagged) or `<prefix>:{<tag>}`. */
function shardBase(space: KeySpace, shard: number): string {
  return space.tagged ? `${space.prefix}:{${shardTag(space.shards, shard)}}` : space.prefix;
}

/** The `prefix` option of shard `shard`'s BullMQ Queue and Worker (their keys: `<it>:sessions:*`). */
export function queuePrefix(space: KeySpace, shard: number): string {
  return shardBase(space, shard);
}

export function sessionKeys(space: KeySpace, sessionId: string) {
  return sessionKeysIn(space, shardOf(space, sessionId), sessionId);
}

/** A session's keys, given its shard (`shardOf`): the scripts that promote parked sessions build them. */
function sessionKeysIn(space: KeySpace, shard: number, sessionId: string) {
  // Untagged: the session's own hash tag, as before sharding (its scripts touch only these keys and
  // the fleet-wide fair-share keys, all on one node).
  const base = space.tagged ? `${shardBase(space, shard)}:s:${sessionId}` : `${space.prefix}:s:{${sessionId}}`;
  return {
    /** Set of accepted turn ids that are not yet known to be finished. */
    pending: `${base}:pending`,
    /** Id of the session's one drain job while it has one. */
    drain: `${base}:drain`,
    /** Capped stream of the session's live events (status, deltas, tools, log entries) for SSE. */
    events: `${base}:events`,
    /** Present while an SSE reader follows the session (its API process renews it): follow-signals.ts. */
    watched: `${base}:watched`,
    /** The tenant whose share the session's drain counts against, while it has a drain (fair scheduling). */
    tenant: `${base}:tenant`,
  };
}

/**
 * The drain key of a session as two parts around its id (head + sessionId + tail), for the fair
 * scheduling scripts, which promote parked sessions they only know by id (as BullMQ builds job keys
 * from a prefix and an id).
 */
export function sessionDrainKeyParts(space: KeySpace, shard: number): [head: string, tail: string] {
  const probe = sessionKeysIn(space, shard, "\u0000").drain;
  const at = probe.indexOf("\u0000");
  return [probe.slice(0, at), probe.slice(at + 1)];
}

/**
 * Fair scheduling of one tenant on one shard (see tenant-share-lua.ts): `parked`, the list of its
 * sessions of that shard waiting for its share, in arrival order; `field`, the prefix of its fields in
 * the shard's share hash (`<field>s` its drain jobs in BullMQ, `<field>p` its parked sessions,
 * `<field>w` its weight). Tagged layout: under the shard's hash tag, beside its sessions' keys.
 */
export function tenantKeys(space: KeySpace, shard: number, tenantId: string) {
  const parked = space.tagged ? `${shardBase(space, shard)}:t:${tenantId}:parked` : `${space.prefix}:t:{${tenantId}}:parked`;
  return { parked, field: `t:${tenantId}:` };
}

/**
 * Fair scheduling state of one shard (fleet-wide when untagged: one shard): `share` is one hash
 * (`slots`: the live fleet's worker slots on this shard,
 * `weights`: sum of the weights of tenants with work, `sched`: drain jobs in BullMQ, `parked`:
 * sessions parked, `seq`: promotion counter for fresh job ids, and each tenant's fields, tenantKeys);
 * `slots` a sorted set of live workers (member `<worker id>#<concurrency>`, score: expiry ms);
 * `parkedTenants` the tenants with parked sessions. Tagged layout: under the shard's hash tag, so
 * a session's scripts touch one slot (its own keys, its shard's queue and this state).
 */
export function fairShareKeys(space: KeySpace, shard: number) {
  const base = shardBase(space, shard);
  return { share: `${base}:fair`, slots: `${base}:fair:slots`, parkedTenants: `${base}:fair:parked-tenants` };
}

/**
 * Token buckets of the API's rate limits (one per API key, one per tenant), shared by all API
 * processes. Tagged layout: both under the tenant's hash tag (`{t:<tenant>}`), so the one script that
 * takes a token from each touches one slot (a key belongs to one tenant).
 */
export function rateLimitKeys(space: KeySpace, tenantId: string, keyId: string) {
  if (!space.tagged) return { key: `${space.prefix}:rl:k:{${keyId}}`, tenant: `${space.prefix}:rl:t:{${tenantId}}` };
  const base = `${space.prefix}:{t:${tenantId}}:rl`;
  return { key: `${base}:k:${keyId}`, tenant: `${base}:t` };
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

/**
 * A reader started following a session (message: the session id); every worker listens, and one
 * running a turn of that session starts writing the turn's live events it held back (follow-signals.ts).
 */
export function followChannel(prefix: string): string {
  return `${prefix}:follow`;
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
 * One of BullMQ's lists of a shard's drain queue, named here so deployments watch the keys the queue
 * really uses: `wait` holds the drain jobs no worker has taken yet (one per waiting session), `active`
 * the ones being run. KEDA's Redis scaler sizes the worker fleet from their lengths summed over the
 * shards (deploy/k8s; `npm run -s queue-keys` prints them).
 */
export function queueListKey(space: KeySpace, shard: number, list: "wait" | "active"): string {
  return `${queuePrefix(space, shard)}:${drainJob.queueName}:${list}`;
}

/**
 * The `prefix` option of the webhook delivery queue's BullMQ Queue and Worker: `<prefix>` (untagged,
 * as before sharding), or `<prefix>:{wh}` in the tagged layout, so its keys share one slot and
 * BullMQ's scripts run on a Redis Cluster (one queue: its deliveries are not sharded).
 */
export function webhookQueuePrefix(space: KeySpace): string {
  return space.tagged ? `${space.prefix}:{wh}` : space.prefix;
}

/**
 * BullMQ's lists of the webhook delivery queue (`<queue prefix>:webhooks:wait|active|delayed`):
 * deliveries waiting for a slot, being sent, and waiting for their next attempt (retries, open breakers).
 */
export function webhookQueueListKey(space: KeySpace, list: "wait" | "active" | "delayed"): string {
  return `${webhookQueuePrefix(space)}:${webhookDeliveryJob.queueName}:${list}`;
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
