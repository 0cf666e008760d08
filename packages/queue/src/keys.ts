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
import { drainJob } from "./job-catalog.ts";
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
  // Untagged: the session's own hash tag, as before sharding (its scripts touch only these keys).
  const base = space.tagged ? `${shardBase(space, shardOf(space, sessionId))}:s:${sessionId}` : `${space.prefix}:s:{${sessionId}}`;
  return {
    /** Set of accepted turn ids that are not yet known to be finished. */
    pending: `${base}:pending`,
    /** Id of the session's one drain job while it has one. */
    drain: `${base}:drain`,
    /** Capped stream of the session's live events (status, deltas, tools, log entries) for SSE. */
    events: `${base}:events`,
  };
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
