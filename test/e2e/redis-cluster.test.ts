import { hashSlot, keySpace, queueListKey, sessionKeys, shardOf } from "@turnq/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkWorkerKillMidTurn } from "../support/crash-check.ts";
import { checkOrderingUnderLoad } from "../support/ordering-check.ts";
import { startOwnRedisCluster, type OwnRedisCluster } from "../support/redis-cluster.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

const SHARDS = 3;

/**
 * Issue #11: turnq on a Redis Cluster of its own (3 masters on loopback), sessions spread over
 * QUEUE_SHARDS=3 drain queues. The ordering and crash checks of one Redis run unchanged against it.
 */
describe("queues on a 3-master Redis Cluster", () => {
  let cluster: OwnRedisCluster;
  beforeAll(async () => {
    cluster = await startOwnRedisCluster(3);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  describe("ordering with 2 workers, 100 sessions × 10 turns at once", () => {
    let sys: TestSystem;
    let sessions: string[];
    beforeAll(async () => {
      sys = await startSystem({
        workers: 2,
        concurrency: 50,
        simulator: { latencyMs: 20 },
        redisUrl: cluster.url,
        apiEnv: { QUEUE_SHARDS: String(SHARDS) },
        workerEnv: { QUEUE_SHARDS: String(SHARDS) },
      });
    });
    afterAll(async () => {
      await sys?.stop();
    });

    it("runs each session's turns one at a time in submission order across the shards", async () => {
      sessions = await checkOrderingUnderLoad(sys, { sessions: 100, turns: 10 });
    });

    it("puts each shard's queue and its sessions' keys on a different master", async () => {
      const space = keySpace(sys.prefix, { shards: SHARDS, cluster: true });
      const byNode = await cluster.keysByNode();
      const nodeOfKey = new Map([...byNode].flatMap(([port, keys]) => keys.map((k) => [k, port] as const)));
      // Every session's event stream lives on the master of its shard's queue (one slot per shard).
      const shardNodes = new Set<number>();
      for (let shard = 0; shard < SHARDS; shard++) {
        const queueEvents = `${queueListKey(space, shard, "wait").replace(/:wait$/, ":events")}`;
        const node = nodeOfKey.get(queueEvents);
        expect(node, `${queueEvents} exists`).toBeDefined();
        shardNodes.add(node!);
        const own = sessions.filter((s) => shardOf(space, s) === shard);
        expect(own.length, `shard ${shard} has sessions`).toBeGreaterThan(0);
        for (const s of own) {
          const events = sessionKeys(space, s).events;
          expect(hashSlot(events)).toBe(hashSlot(queueEvents));
          expect(nodeOfKey.get(events), events).toBe(node);
        }
      }
      expect(shardNodes.size).toBe(3);
      // And this file's keys really are on all three masters.
      for (const [port, keys] of byNode) expect(keys.filter((k) => k.startsWith(`${sys.prefix}:`)).length, `keys on ${port}`).toBeGreaterThan(0);
    });
  });

  describe("a worker SIGKILLed mid-turn", () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startSystem({
        workers: 2,
        concurrency: 50,
        simulator: { latencyMs: 400 },
        redisUrl: cluster.url,
        apiEnv: { QUEUE_SHARDS: String(SHARDS) },
        // As in crash.test.ts: only the dead-worker sweep (CLIENT LIST on every node) can hand the
        // victim's sessions back within the deadlines; a run cut short must not use up the attempt.
        workerEnv: { QUEUE_SHARDS: String(SHARDS), LOCK_DURATION_MS: "600000", TURN_MAX_ATTEMPTS: "1" },
      });
    });
    afterAll(async () => {
      await sys?.stop();
    });

    it("loses no accepted turn and duplicates no message", async () => {
      await checkWorkerKillMidTurn(sys);
    });
  });
});
