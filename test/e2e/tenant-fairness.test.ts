import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type TestSystem } from "../support/system.ts";
import { runTenantFlood } from "../support/tenant-flood.ts";

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
  beforeAll(async () => {
    sys = await startSystem({ workers, concurrency: slotsPerWorker, simulator: { latencyMs: 50 } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("keeps B's queue wait short while A's 3,000-turn flood over 300 sessions drains, and gives A the slots B leaves", async () => {
    const figures = await runTenantFlood({
      databaseUrl: sys.db.url,
      redisUrl: sys.redisUrl,
      prefix: sys.prefix,
      aSessions: 300,
      aTurnsPerSession: 10,
      bSessions: 10,
      bTurns: 60,
      bEveryMs: 100,
      deadlineMs: 170_000,
    });
    console.log(JSON.stringify({ ...figures, slots }));
    expect(figures.failedTurns).toBe(0);
    expect(figures.bTurnsMeasured).toBeGreaterThanOrEqual(20);
    expect(figures.bQueueWaitMs.p99).toBeLessThanOrEqual(2_000);
    // A keeps every slot B does not use (B has at most 10 busy sessions, usually one or two).
    expect(figures.aDrainJobsHeldMedian).toBeGreaterThanOrEqual(slots - 10);
  });
});
