import { runTenantFlood, type TenantFloodFigures } from "../support/tenant-flood.ts";
import { intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";

export interface FairnessResult {
  slots: number;
  llmMs: number;
  /** B alone: its queue wait with nobody else on the fleet. */
  alone: TenantFloodFigures;
  /** B beside A's flood (A: `aSessions` × `aTurnsPerSession` turns submitted at once, just before B starts). */
  flood: TenantFloodFigures & { aSessions: number; aTurnsPerSession: number };
}

/**
 * Fair scheduling between tenants (issue #10): tenant B's queue wait (accepted → running) for one
 * turn every 100 ms over 10 sessions, alone and then beside tenant A's flood of 3,000 turns over 300
 * sessions, on 2 workers of `BENCH_FAIRNESS_CONCURRENCY` (20) slots at LLM `BENCH_FAIRNESS_LLM_MS` (50).
 * Also how many drain jobs A holds while B runs (every slot B leaves is A's) and A's turns/s meanwhile.
 */
export async function runFairnessBench(): Promise<PartOutcome<FairnessResult>> {
  const concurrency = intEnv("BENCH_FAIRNESS_CONCURRENCY", 20);
  const llmMs = intEnv("BENCH_FAIRNESS_LLM_MS", 50);
  const aSessions = intEnv("BENCH_FAIRNESS_A_SESSIONS", 300);
  const aTurnsPerSession = intEnv("BENCH_FAIRNESS_A_TURNS", 10);
  const bTurns = intEnv("BENCH_FAIRNESS_B_TURNS", 60);
  const failures: string[] = [];
  const run = async (flood: boolean) => {
    log(`fairness: ${flood ? `B beside A's flood (${aSessions} × ${aTurnsPerSession} turns)` : "B alone"}, 2 workers × ${concurrency} slots, LLM ${llmMs} ms`);
    const sys = await startBenchSystem({ llmLatencyMs: llmMs, workers: 2, concurrency });
    try {
      const figures = await runTenantFlood({
        databaseUrl: sys.db.url,
        redisUrl: sys.redisUrl,
        prefix: sys.prefix,
        aSessions: flood ? aSessions : 0,
        aTurnsPerSession,
        bSessions: 10,
        bTurns,
        bEveryMs: 100,
        deadlineMs: 300_000,
      });
      if (figures.failedTurns > 0) failures.push(`${flood ? "flood" : "alone"}: ${figures.failedTurns} turns did not complete`);
      if (figures.bTurnsMeasured === 0) failures.push(`${flood ? "flood" : "alone"}: no B turn was measured`);
      return figures;
    } finally {
      await sys.stop();
    }
  };
  const alone = await run(false);
  const flood = await run(true);
  return { result: { slots: 2 * concurrency, llmMs, alone, flood: { ...flood, aSessions, aTurnsPerSession } }, failures };
}
