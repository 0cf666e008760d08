import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { redisUrl } from "../../../test/support/services.ts";
import { deleteKeys } from "../../../test/support/redis-keys.ts";
import { createDrainQueues, createMailbox, fairShareKeys, hashSlot, keySpace, queueListKey, shardOf, startFleetSlots, tenantKeys, drainJob, type DrainJobData, type Mailbox } from "../src/index.ts";

/**
 * The fair-share scripts against a real Redis and a real BullMQ queue (no worker: the test plays the
 * drain jobs' part, so every step is deterministic).
 */
describe("tenant shares of the fleet's slots", () => {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const connections: Redis[] = [];
  let prefix: string;
  let queue: Queue<DrainJobData>;
  let mailbox: Mailbox;
  let stopSlots: () => Promise<void>;

  beforeEach(async (ctx) => {
    await stopSlots?.();
    await queue?.close();
    prefix = `tshare-${randomUUID().slice(0, 8)}`;
    const c = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    connections.push(c);
    queue = new Queue<DrainJobData>(drainJob.queueName, { connection: c, prefix });
    mailbox = createMailbox({ redis, queues: [queue], space: keySpace(prefix) });
    const slots = Number(/slots=(\d+)/.exec(ctx.task.name)?.[1] ?? 4);
    const s = startFleetSlots(redis, keySpace(prefix), "w1", slots);
    await s.ready;
    stopSlots = s.stop;
  });
  afterAll(async () => {
    await stopSlots?.();
    await queue?.close();
    await Promise.all(connections.map((c) => c.quit()));
    await deleteKeys(redisUrl(), "tshare-*").catch(() => 0);
    await redis.quit();
  });

  const busy = async (tenantId: string, n: number, weight?: number) => {
    const out: { sessionId: string; jobId: string; created: boolean; parked: boolean }[] = [];
    for (let i = 0; i < n; i++) {
      const sessionId = `ses_${tenantId}${i}`;
      out.push({ sessionId, ...(await mailbox.enqueue(sessionId, [`turn_${tenantId}${i}`], { tenantId, weight })) });
    }
    return out;
  };
  /** The drain of a session runs its turn and finds nothing left: what a worker does, minus the turn. */
  const drainOnce = async (tenantId: string, s: { sessionId: string }, jobId: string) => {
    await mailbox.ack(s.sessionId, jobId, await mailbox.pendingIds(s.sessionId));
    return mailbox.finish(s.sessionId, jobId, tenantId);
  };
  const waitingJobs = async () => (await queue.getJobs(["wait"])).map((j) => j.data);
  /** The tenant's fields of the fleet's share hash. */
  const state = async (tenantId: string) => {
    const f = tenantKeys(keySpace(prefix), 0, tenantId).field;
    const [sched, parked, w] = await redis.hmget(fairShareKeys(keySpace(prefix), 0).share, `${f}s`, `${f}p`, `${f}w`);
    return { sched, parked, w };
  };

  it("gives a flooding tenant the whole fleet (slots=4) and parks the rest", async () => {
    const a = await busy("a", 10);
    expect(a.filter((s) => s.created)).toHaveLength(4);
    expect(a.filter((s) => s.parked)).toHaveLength(6);
    expect(await waitingJobs()).toHaveLength(4);
    expect(await state("a")).toMatchObject({ sched: "4", parked: "6", w: "1" });
  });

  it("never queues another tenant's new session behind the flood (slots=4)", async () => {
    await busy("a", 10);
    const [b] = await busy("b", 1);
    expect(b!.created).toBe(true);
    // B's job is in BullMQ's wait list now, behind at most A's share, not behind A's 10 sessions.
    const wait = await waitingJobs();
    expect(wait.filter((d) => d.tenantId === "a")).toHaveLength(4);
    expect(wait.at(0)).toMatchObject({ tenantId: "b" });
  });

  it("takes slots back from the flood at its next slice boundary, rotates its sessions, and promotes in order when B is idle (slots=4)", async () => {
    const a = await busy("a", 10);
    const [b] = await busy("b", 1);
    // B is busy: A's share is max(ceil(4/2), 4 - 1) = 3, and A has 4: its next yield parks.
    expect(await mailbox.yieldSlice(a[0]!.sessionId, a[0]!.jobId, "a")).toBe("parked");
    expect(await state("a")).toMatchObject({ sched: "3", parked: "7" });
    // At its share with sessions parked, a yielding session swaps with the oldest parked one.
    expect(await mailbox.yieldSlice(a[1]!.sessionId, a[1]!.jobId, "a")).toBe("parked");
    expect(await state("a")).toMatchObject({ sched: "3", parked: "7" });
    // B's session empties: A's next release promotes its oldest parked sessions up to the whole fleet.
    expect(await drainOnce("b", b!, b!.jobId)).toBe("released");
    expect(await drainOnce("a", a[2]!, a[2]!.jobId)).toBe("released");
    expect(await state("a")).toMatchObject({ sched: "4", parked: "5" });
    const promoted = (await queue.getJobs(["wait"])).filter((j) => j.id!.includes("-p")).map((j) => j.data.sessionId);
    expect(promoted.sort()).toEqual(["ses_a4", "ses_a5", "ses_a6"]);
    const fair = await redis.hgetall(fairShareKeys(keySpace(prefix), 0).share);
    expect(fair).toMatchObject({ slots: "4", sched: "4", parked: "5", weights: "1" });
    // A session parked at a yield keeps its place and, promoted, gets a fresh job id.
    expect(await redis.lrange(tenantKeys(keySpace(prefix), 0, "a").parked, 0, -1)).toEqual(["ses_a7", "ses_a8", "ses_a9", "ses_a0", "ses_a1"]);
  });

  it("splits the fleet by weight when both tenants flood (slots=12)", async () => {
    await busy("a", 20, 2);
    // A came first and took the whole fleet. B's share is 12 * 1/3 = 4, admitted at once.
    expect(await state("a")).toMatchObject({ sched: "12", parked: "8" });
    await busy("b", 20, 1);
    expect(await state("b")).toMatchObject({ sched: "4", parked: "16" });
    // At their slice boundaries A's drains park until A is at its share (12 * 2/3 = 8).
    for (const j of (await queue.getJobs(["wait"])).filter((x) => x.data.tenantId === "a")) {
      expect(await mailbox.yieldSlice(j.data.sessionId, j.id!, "a")).toBe("parked");
    }
    expect(await state("a")).toMatchObject({ sched: "8", parked: "12" });
    expect(await state("b")).toMatchObject({ sched: "4" });
  });

  it("keeps a parked session parked when the reconciler announces it again, and top-up promotes it (slots=1)", async () => {
    const a = await busy("a", 2);
    expect(a[1]!.parked).toBe(true);
    const again = await mailbox.enqueue(a[1]!.sessionId, ["turn_a1"], { force: true, tenantId: "a" });
    expect(again).toMatchObject({ created: false, parked: true });
    expect(await waitingJobs()).toHaveLength(1);
    expect(await mailbox.topUp("a")).toBe(0);
    // The first session's drain ends: its release promotes the parked one at once.
    expect(await drainOnce("a", a[0]!, a[0]!.jobId)).toBe("released");
    const promoted = (await queue.getJobs(["wait"])).find((j) => j.data.sessionId === "ses_a1");
    expect(promoted?.id).toBe(`${a[1]!.jobId.replace(/^parked:/, "")}-p1`);
    expect(await mailbox.parkedTenants()).toEqual([]);
    expect(await state("a")).toMatchObject({ sched: "1", parked: "0" });
  });
});

/**
 * The sharded layout (QUEUE_SHARDS=3, tagged keys, on one Redis here; test/e2e/redis-cluster.test.ts
 * runs it on a cluster): each shard keeps its own share, parked list and slots, in its own slot.
 */
describe("tenant shares per shard (QUEUE_SHARDS=3)", () => {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const bull = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const prefix = `tshare-${randomUUID().slice(0, 8)}`;
  const space = keySpace(prefix, { shards: 3 });
  const queues = createDrainQueues(bull, space, () => {});
  const mailbox = createMailbox({ redis, queues, space });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    await deleteKeys(redisUrl(), prefix).catch(() => 0);
    await Promise.all([redis.quit(), bull.quit()]);
  });

  it("caps a tenant at its share of each shard's slots and promotes within the shard", async () => {
    // One worker with 1 slot per shard.
    const slots = startFleetSlots(redis, space, "w1", 1);
    await slots.ready;
    // 3 sessions of tenant a on each shard.
    const byShard: string[][] = [[], [], []];
    for (let i = 0; byShard.some((s) => s.length < 3); i++) {
      const id = `ses_s${i}`;
      const own = byShard[shardOf(space, id)]!;
      if (own.length < 3) own.push(id);
    }
    const enq = new Map<string, { jobId: string; created: boolean; parked: boolean }>();
    for (const own of byShard) for (const id of own) enq.set(id, await mailbox.enqueue(id, [`turn_${id}`], { tenantId: "a" }));
    for (let shard = 0; shard < 3; shard++) {
      const own = byShard[shard]!;
      const f = fairShareKeys(space, shard);
      const t = tenantKeys(space, shard, "a");
      // Every key a session's scripts touch is in its shard's slot.
      const slot = hashSlot(queueListKey(space, shard, "wait"));
      for (const k of [f.share, f.slots, f.parkedTenants, t.parked]) expect(hashSlot(k), k).toBe(slot);
      expect(own.map((id) => enq.get(id)!.created)).toEqual([true, false, false]);
      expect(await redis.hmget(f.share, "slots", "t:a:s", "t:a:p")).toEqual(["1", "1", "2"]);
      expect(await redis.lrange(t.parked, 0, -1)).toEqual(own.slice(1));
      expect((await queues[shard]!.getJobs(["wait"])).map((j) => j.data.sessionId)).toEqual([own[0]]);
    }
    // The first session of shard 1 ends: its release promotes shard 1's oldest parked session only.
    const [first, second] = byShard[1]!;
    const job = enq.get(first!)!.jobId;
    await mailbox.ack(first!, job, await mailbox.pendingIds(first!));
    expect(await mailbox.finish(first!, job, "a")).toBe("released");
    expect((await queues[1]!.getJobs(["wait"])).map((j) => j.data.sessionId).sort()).toEqual([first, second].sort());
    for (const shard of [0, 2]) expect(await queues[shard]!.getJobs(["wait"])).toHaveLength(1);
    expect(await mailbox.parkedTenants()).toEqual(["a"]);
    // Nothing under the share anywhere: top-up promotes nothing on any shard.
    expect(await mailbox.topUp("a")).toBe(0);
    await slots.stop();
  });
});
