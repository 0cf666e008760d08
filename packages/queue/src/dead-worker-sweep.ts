import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { lockOwnersScript, releaseDeadScript } from "./dead-worker-scripts.ts";
import { presenceClientName } from "./keys.ts";
import { clientNames } from "./redis.ts";

export interface DeadWorkerSweepDeps {
  /** turnq's own connection to the queue's Redis. */
  redis: Redis;
  /** Every shard's drain queue (drain-queues.ts). */
  queues: Queue[];
  /** This worker's BullMQ ids (one Worker per shard): never declared dead by itself. */
  selfIds: string[];
  intervalMs: number;
  /** How long a lock holder must be seen without its presence connection before it counts as dead. */
  graceMs: number;
  onReleased(jobIds: string[], deadWorkers: string[]): void;
  onError(err: Error): void;
}

/** After this sweeper's own connection (re)connects, others' presence connections may still be reconnecting. */
const settleAfterReconnectMs = 5_000;

/**
 * Finds drain jobs whose worker process is gone and hands them back at once, instead of waiting for
 * their BullMQ lock to expire (LOCK_DURATION_MS, kept long so that a worker whose event loop is
 * blocked for a while keeps its sessions). A worker is dead when the presence connection named after
 * it (presenceClientName) has been missing from CLIENT LIST for `graceMs` while it still holds locks:
 * the kernel closes a process's sockets when it dies, whereas a blocked or slow process keeps them.
 * Every worker runs a sweep (each is idempotent: releasing checks the lock's holder atomically).
 */
export function startDeadWorkerSweep(deps: DeadWorkerSweepDeps): { stop(): Promise<void> } {
  const { redis, queues } = deps;
  const r = redis as Redis & Record<string, ((...a: string[]) => Promise<unknown>) | undefined>;
  if (!r.turnqLockOwners) {
    redis.defineCommand("turnqLockOwners", { numberOfKeys: 1, lua: lockOwnersScript });
    redis.defineCommand("turnqReleaseDead", { numberOfKeys: 2, lua: releaseDeadScript });
  }
  const absentSince = new Map<string, number>();
  // Only a reconnect (Redis restarted, or the network blinked) delays verdicts: a worker starting
  // while its fleet runs sees the others' presence connections at once.
  let connectedAt = Number.NEGATIVE_INFINITY;
  const onReady = () => {
    connectedAt = Date.now();
    absentSince.clear();
  };
  if (redis.status === "ready") redis.on("ready", onReady);
  else redis.once("ready", () => redis.on("ready", onReady));

  async function sweep(): Promise<void> {
    // A worker holds locks through one BullMQ Worker per shard, each with its own id.
    const owners = new Set<string>();
    for (const queue of queues) {
      for (const o of (await r.turnqLockOwners!(queue.keys.active!, queue.toKey(""))) as string[]) if (!deps.selfIds.includes(o)) owners.add(o);
    }
    for (const seen of absentSince.keys()) if (!owners.has(seen)) absentSince.delete(seen);
    if (owners.size === 0) return;
    const present = await clientNames(redis);
    const now = Date.now();
    const dead: string[] = [];
    for (const owner of owners) {
      if (present.has(presenceClientName(owner))) {
        absentSince.delete(owner);
        continue;
      }
      const since = absentSince.get(owner) ?? now;
      absentSince.set(owner, since);
      if (now - since >= deps.graceMs && now - connectedAt >= settleAfterReconnectMs) dead.push(owner);
    }
    if (dead.length === 0) return;
    const released: string[] = [];
    for (const queue of queues) {
      released.push(...((await r.turnqReleaseDead!(queue.keys.active!, queue.keys.stalled!, queue.toKey(""), ...dead)) as string[]));
    }
    for (const d of dead) absentSince.delete(d);
    if (released.length > 0) deps.onReleased(released, dead);
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep()
        .catch((err: Error) => deps.onError(err))
        .finally(schedule);
    }, deps.intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      redis.off("ready", onReady);
      await running;
    },
  };
}
