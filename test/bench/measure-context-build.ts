import type { Db } from "@turnq/db";
import { budgetFor, buildWindow, createContextCache, loadHistory, type ContextCache } from "../../apps/worker/src/context/index.ts";
import { seedHistory } from "../support/seed-history.ts";

export interface MeasureContextBuildOptions {
  db: Db;
  priorMessages: number;
  /** Timed builds per mode, after a few untimed ones; the median is reported. Default 31. */
  runs?: number | undefined;
  model?: string | undefined;
  budgetTokens?: number | undefined;
  maxMessagesPerSession?: number | undefined;
  /** Seed a summary this many entries before the end, as a compacted session would have. */
  summaryKeep?: number | undefined;
}

export interface BuildFigures {
  medianMs: number;
  /** Rows and JSON bytes read from Postgres per build. */
  rows: number;
  bytes: number;
}

export interface ContextBuildMeasurement {
  priorMessages: number;
  /** A cache that has never seen the session (a new worker, or after eviction). */
  cold: BuildFigures;
  /** The cache saw the previous turn; two new messages were logged since. */
  warm: BuildFigures;
  windowMessages: number;
  windowTokens: number;
  needsCompaction: boolean;
}

/**
 * Times building one turn's context (load + window) for a session with `priorMessages` in its log.
 * Comparing 10 with 10,000 shows whether the cost follows the window, not the history.
 */
export async function measureContextBuild(opts: MeasureContextBuildOptions): Promise<ContextBuildMeasurement> {
  const model = opts.model ?? "gpt-4o-mini";
  const budgetTokens = opts.budgetTokens ?? budgetFor(model, 4_096);
  const maxMessagesPerSession = opts.maxMessagesPerSession ?? 200;
  const runs = opts.runs ?? 31;
  const { sessionId } = await seedHistory(opts.db, { count: opts.priorMessages, summaryKeep: opts.summaryKeep });
  const build = async (cache: ContextCache) => {
    const loaded = await loadHistory(opts.db, cache, sessionId);
    return buildWindow({ systemPrompt: "You are a helpful assistant.", summary: loaded.summary, history: loaded.history, truncated: loaded.truncated, newUserText: "next question", model, budgetTokens });
  };
  const timed = async (cache: ContextCache) => {
    const before = { ...cache.stats };
    const started = performance.now();
    const window = await build(cache);
    return { ms: performance.now() - started, rows: cache.stats.rowsFetched - before.rowsFetched, bytes: cache.stats.bytesFetched - before.bytesFetched, window };
  };

  // Untimed: opens pool connections, loads the tokenizer, lets the JIT settle on these paths.
  for (let i = 0; i < 5; i++) await build(createContextCache({ maxSessions: 1, maxMessagesPerSession, measureBytes: true }));
  const cold: Awaited<ReturnType<typeof timed>>[] = [];
  for (let i = 0; i < runs; i++) cold.push(await timed(createContextCache({ maxSessions: 1, maxMessagesPerSession, measureBytes: true })));

  const cache = createContextCache({ maxSessions: 1, maxMessagesPerSession, measureBytes: true });
  await build(cache);
  const warm: typeof cold = [];
  for (let i = 0; i < runs; i++) {
    await seedHistory(opts.db, { sessionId, count: 2 }); // the previous turn's question and answer
    warm.push(await timed(cache));
  }
  const last = warm.at(-1)!.window;
  return {
    priorMessages: opts.priorMessages,
    cold: figures(cold),
    warm: figures(warm),
    windowMessages: last.messages.length,
    windowTokens: last.tokens,
    needsCompaction: last.needsCompaction,
  };
}

function figures(samples: { ms: number; rows: number; bytes: number }[]): BuildFigures {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { medianMs: Math.round(medianMs * 1000) / 1000, rows: median(samples.map((s) => s.rows)), bytes: median(samples.map((s) => s.bytes)) };
}
