import { Redis } from "ioredis";
import { tenantKeys } from "@turnq/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { percentile } from "../bench/stats.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { createTenantSubmitter } from "../support/tenant-submitter.ts";

const slotsPerWorker = 20;
const workers = 2;
const slots = slotsPerWorker * workers;

/**
 * Fair scheduling between tenants, with real worker processes: a tenant that floods the fleet over
 * hundreds of sessions does not delay another tenant's turns, and still gets every slot the other
 * does not use. The bound is generous (a busy 2-core machine); the figures are in `npm run bench`.
 */
describe("fair scheduling between tenants", () => {
  let sys: TestSystem;
  let submitter: ReturnType<typeof createTenantSubmitter>;
  let redis: Redis;
  beforeAll(async () => {
    sys = await startSystem({ workers, concurrency: slotsPerWorker, simulator: { latencyMs: 50 } });
    submitter = createTenantSubmitter({ databaseUrl: sys.db.url, redisUrl: sys.redisUrl, prefix: sys.prefix });
    redis = new Redis(sys.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await submitter?.close();
    await sys?.stop();
  });

  it("keeps B's queue wait short while A's 3,000-turn flood over 300 sessions drains, and gives A the slots B leaves", async () => {
    const aSessions = await Promise.all(Array.from({ length: 300 }, () => submitter.session("tenant-a")));
    const bSessions = await Promise.all(Array.from({ length: 10 }, () => submitter.session("tenant-b")));

    // A: 10 turns on each of 300 sessions, all at once (16 submits in flight).
    const aTurns: string[] = [];
    const work = Array.from({ length: 10 }, (_, round) => aSessions.map((s) => [s, round] as const)).flat();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < work.length) {
          const [s, round] = work[next++]!;
          aTurns.push(await submitter.submit("tenant-a", s, `a ${round}`));
        }
      }),
    );

    // B: one turn every 100 ms, round robin over 10 sessions, while A's backlog is there; meanwhile
    // sample how many drain jobs A holds in BullMQ (its slots).
    const bTurns: string[] = [];
    const aHeld: number[] = [];
    const aState = tenantKeys(sys.prefix, "tenant-a").state;
    for (let i = 0; i < 60 && (await submitter.unfinished(aTurns)) > 300; i++) {
      const tick = Date.now();
      bTurns.push(await submitter.submit("tenant-b", bSessions[i % 10]!, `b ${i}`));
      const [sched, parked] = await redis.hmget(aState, "sched", "parked");
      if (Number(parked) > 0) aHeld.push(Number(sched));
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }

    await expect.poll(() => submitter.unfinished([...aTurns, ...bTurns]), { timeout: 170_000, interval: 500 }).toBe(0);
    const times = await submitter.times([...aTurns, ...bTurns]);
    expect([...times.values()].every((t) => t.status === "completed")).toBe(true);
    const aLast = Math.max(...aTurns.map((id) => times.get(id)!.finishedAt));
    // B's turns accepted while A still had a backlog.
    const during = bTurns.map((id) => times.get(id)!).filter((t) => t.createdAt < aLast);
    const waits = during.map((t) => t.startedAt - t.createdAt).sort((x, y) => x - y);
    const figures = {
      bTurnsDuringFlood: during.length,
      bQueueWaitMs: { p50: percentile(waits, 50), p99: percentile(waits, 99), max: waits.at(-1) },
      aDrainJobsHeldMedian: percentile(aHeld, 50),
      slots,
    };
    console.log(JSON.stringify(figures));
    expect(during.length).toBeGreaterThanOrEqual(20);
    expect(figures.bQueueWaitMs.p99).toBeLessThanOrEqual(2_000);
    // A keeps every slot B does not use (B has at most 10 busy sessions, usually one or two).
    expect(figures.aDrainJobsHeldMedian).toBeGreaterThanOrEqual(slots - 10);
  });
});
