import { measureContextBuild, type ContextBuildMeasurement } from "./measure-context-build.ts";
import { createBenchDatabase } from "./bench-database.ts";
import { intEnv, log, type PartOutcome } from "./bench-env.ts";

interface Figures {
  priorMessages: number;
  warmMedianMs: number;
  warmBytes: number;
  warmRows: number;
  coldMedianMs: number;
  coldBytes: number;
  coldRows: number;
}

export interface ContextResult {
  runs: number;
  small: Figures;
  large: Figures;
  /** large / small. A context whose cost follows the window, not the history, keeps these near 1. */
  ratios: { warmMs: number; warmBytes: number; coldMs: number; coldBytes: number };
}

/**
 * Building a turn's context for a session with 10 vs 10,000 prior messages, through the worker's
 * own measureContextBuild (seeds the log, then times load + window with a cold and a warm cache).
 * Runs in this process against a fresh database: nothing else is running while it measures, and
 * the function is the same code path the worker uses per turn. Ratios near 1 mean a long
 * conversation costs no more per turn than a short one; ~1,000 would mean it reads everything.
 */
export async function runContextBench(): Promise<PartOutcome<ContextResult>> {
  const runs = intEnv("BENCH_CONTEXT_RUNS", 101);
  const small = intEnv("BENCH_CONTEXT_SMALL", 10);
  const large = intEnv("BENCH_CONTEXT_LARGE", 10_000);
  const db = await createBenchDatabase();
  const failures: string[] = [];
  try {
    log(`context: ${small} and ${large} prior messages, ${runs} timed builds per mode`);
    const a = figures(await measureContextBuild({ db: db.db, priorMessages: small, runs }));
    const b = figures(await measureContextBuild({ db: db.db, priorMessages: large, runs }));
    const ratio = (x: number, y: number) => (y > 0 ? Math.round((x / y) * 100) / 100 : Number.NaN);
    const ratios = {
      warmMs: ratio(b.warmMedianMs, a.warmMedianMs),
      warmBytes: ratio(b.warmBytes, a.warmBytes),
      coldMs: ratio(b.coldMedianMs, a.coldMedianMs),
      coldBytes: ratio(b.coldBytes, a.coldBytes),
    };
    if (!(a.warmBytes > 0 && b.warmBytes > 0)) failures.push(`context: no bytes read (${JSON.stringify({ a, b })})`);
    log(`context: ${JSON.stringify({ small: a, large: b, ratios })}`);
    return { result: { runs, small: a, large: b, ratios }, failures };
  } finally {
    await db.drop();
  }
}

function figures(m: ContextBuildMeasurement): Figures {
  const ms = (x: number) => Math.round(x * 100) / 100;
  return {
    priorMessages: m.priorMessages,
    warmMedianMs: ms(m.warm.medianMs),
    warmBytes: m.warm.bytes,
    warmRows: m.warm.rows,
    coldMedianMs: ms(m.cold.medianMs),
    coldBytes: m.cold.bytes,
    coldRows: m.cold.rows,
  };
}
