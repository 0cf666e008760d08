import { createRedis, fairShareKeys, hashSlot, keySpace, queueListKey, rateLimitKeys, sessionKeys, shardOf, tenantKeys } from "@turnq/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkWorkerKillMidTurn } from "../support/crash-check.ts";
import { post, waitTurn } from "../support/http.ts";
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
  /** The system's options that put it on this cluster with SHARDS drain queues (API and workers alike). */
  const onCluster = (workerEnv: Record<string, string> = {}) => ({
    redisUrl: cluster.url,
    apiEnv: { QUEUE_SHARDS: String(SHARDS) },
    workerEnv: { QUEUE_SHARDS: String(SHARDS), ...workerEnv },
  });
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
        ...onCluster(),
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

  describe("two tenants on the cluster (fair scheduling and admission)", () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startSystem({
        workers: 1,
        // 2 slots per shard: tenant A's 12 busy sessions exceed its share, so sessions park and are promoted.
        concurrency: 6,
        simulator: { latencyMs: 50 },
        ...onCluster(),
      });
    });
    afterAll(async () => {
      await sys?.stop();
    });

    it("admits and runs both tenants' turns with every fair-share and rate-limit script in one slot", async () => {
      const b = await sys.newTenant("tenant-b");
      const a = { tenant: sys.tenant.tenant, keyId: sys.tenant.keyId, headers: {} as Record<string, string> };
      const submitted: { base: string; turnId: string; headers: Record<string, string> }[] = [];
      const sessionsOf = async (t: { headers: Record<string, string> }, n: number) =>
        Promise.all(
          Array.from({ length: n }, async () => {
            const r = await post(sys.api.url, "/v1/sessions", {}, t.headers);
            expect(r.status).toBe(201);
            return r.body.id as string;
          }),
        );
      const aSessions = await sessionsOf(a, 12);
      const bSessions = await sessionsOf(b, 6);
      // A floods first, then B: every submit runs the quota and bucket scripts, every drain the fair-share ones.
      for (const [t, sessions] of [[a, aSessions], [b, bSessions]] as const) {
        const answers = await Promise.all(
          sessions.flatMap((s) => [1, 2, 3].map((i) => post(sys.api.url, `/v1/sessions/${s}/turns`, { input: `turn ${i}` }, t.headers))),
        );
        for (const r of answers) {
          expect(r.status, JSON.stringify(r.body)).toBe(202);
          // Admitted by the buckets' script, not failed open past it (a CROSSSLOT error would be).
          expect(r.headers.get("ratelimit")).toMatch(/^"(key|tenant)";r=\d+;t=\d+$/);
          submitted.push({ base: sys.api.url, turnId: r.body.id as string, headers: t.headers });
        }
      }
      const done = await Promise.all(submitted.map((s) => waitTurn(s.base, s.turnId, 120, s.headers)));
      expect(done.map((t) => t.status)).toEqual(submitted.map(() => "completed"));

      const space = keySpace(sys.prefix, { shards: SHARDS, cluster: true });
      const redis = createRedis(sys.redisUrl, "producer", () => {});
      try {
        for (const [t, sessions] of [[a, aSessions], [b, bSessions]] as const) {
          // The tenant's buckets share a slot; its fair-share state sits in each shard's slot, beside its sessions.
          const rl = rateLimitKeys(space, t.tenant.id, t.keyId);
          expect(hashSlot(rl.key)).toBe(hashSlot(rl.tenant));
          for (const shard of new Set(sessions.map((s) => shardOf(space, s)))) {
            const share = fairShareKeys(space, shard).share;
            expect(hashSlot(share)).toBe(hashSlot(queueListKey(space, shard, "wait")));
            expect(hashSlot(tenantKeys(space, shard, t.tenant.id).parked)).toBe(hashSlot(share));
            const f = tenantKeys(space, shard, t.tenant.id).field;
            // Each shard counted the tenant's drains (weight field written) and released them all.
            await expect
              .poll(async () => redis.hmget(share, `${f}s`, `${f}p`, `${f}w`), { timeout: 30_000 })
              .toEqual(["0", "0", "1"]);
            // The shard's slots: the worker's 6 slots split over 3 shards.
            expect(await redis.hget(share, "slots")).toBe("2");
          }
        }
        // A had more busy sessions than its share of some shard (12 sessions, 3 shards of 2 slots): some
        // parked, and every one was promoted (`seq` counts promotions), none is left parked.
        const shares = Array.from({ length: SHARDS }, (_, shard) => fairShareKeys(space, shard));
        const promotions = await Promise.all(shares.map((k) => redis.hget(k.share, "seq")));
        expect(promotions.reduce((n, v) => n + Number(v ?? 0), 0)).toBeGreaterThan(0);
        expect(await Promise.all(shares.map((k) => redis.scard(k.parkedTenants)))).toEqual([0, 0, 0]);
      } finally {
        await redis.quit();
      }
    });
  });

  describe("a worker SIGKILLed mid-turn", () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startSystem({
        workers: 2,
        concurrency: 50,
        simulator: { latencyMs: 400 },
        // As in crash.test.ts: only the dead-worker sweep (CLIENT LIST on every node) can hand the
        // victim's sessions back within the deadlines; a run cut short must not use up the attempt.
        ...onCluster({ LOCK_DURATION_MS: "600000", TURN_MAX_ATTEMPTS: "1" }),
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
