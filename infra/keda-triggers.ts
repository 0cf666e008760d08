import { queueListKey, type KeySpace } from "@turnq/queue";

/** Drain jobs (sessions, waiting or running) one worker is sized for: 80 % of WORKER_CONCURRENCY 200. */
export const sessionsPerWorker = 160;

/**
 * The KEDA triggers that size the worker fleet for a key layout (packages/queue/src/keys.ts): every
 * shard's `wait` and `active` list, summed by one scaling formula (KEDA would otherwise take the
 * largest trigger, not their sum). On a Redis Cluster the triggers are KEDA's `redis-cluster` scaler,
 * whose TriggerAuthentication gives `addresses` (host:port,…) instead of `address`.
 * deploy/k8s holds the single-shard form; `npm run -s keda-triggers` prints this for other layouts.
 */
export function kedaScaling(space: KeySpace, cluster: boolean) {
  const triggers = Array.from({ length: space.shards }, (_, shard) =>
    (["wait", "active"] as const).map((list) => ({
      type: cluster ? "redis-cluster" : "redis",
      name: space.shards === 1 ? list : `${list}${shard}`,
      metadata: {
        listName: queueListKey(space, shard, list),
        listLength: String(sessionsPerWorker),
        ...(cluster ? {} : { databaseIndex: "0" }),
      },
      authenticationRef: { name: "turnq-redis" },
    })),
  ).flat();
  return {
    triggers,
    scalingModifiers: { formula: triggers.map((t) => t.name).join(" + "), target: String(sessionsPerWorker), metricType: "AverageValue" },
  };
}
