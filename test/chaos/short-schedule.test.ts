import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos-run.ts";

/**
 * The chaos suite's short schedule, in CI: the same code as `npm run chaos` with a fixed seed and a
 * small shape (100 sessions, 30 s of faults: 3 worker kills, Redis killed without persistence and
 * again with AOF, Postgres stopped once). Under 2 minutes on a busy 2-core machine.
 */
describe("the short chaos schedule", () => {
  it("keeps every acknowledged turn, exactly once and in order, through worker, Redis and Postgres faults", { timeout: 240_000 }, async () => {
    const report = await runChaos({
      seed: 20_251_209,
      sessions: 100,
      turnsPerSession: 8,
      workers: 3,
      llmLatencyMs: 200,
      shape: { durationMs: 30_000, workerKills: 3, redisRestarts: ["none", "aof"], postgresRestarts: 1 },
      drainDeadlineMs: 90_000,
      log: () => {},
    });
    console.log(JSON.stringify(report));
    expect(report.violations).toEqual([]);
    // The faults really bit: turns were acknowledged throughout and some had to run again.
    expect(report.faults).toEqual({ "kill-worker": 3, "restart-redis-none": 1, "restart-redis-aof": 1, "restart-postgres": 1 });
    expect(report.ackedTurns).toBeGreaterThan(300);
    expect(report.completedTurns).toBe(report.ackedTurns);
    expect(report.turnsCalledAgain).toBeGreaterThan(0);
    expect(report.answers["POST turns 503 database_unavailable"] ?? 0).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  });
});
