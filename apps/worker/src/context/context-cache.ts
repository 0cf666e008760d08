import type { MessageRow } from "@turnq/db";
import type { LoggedSummary } from "./summary-entry.ts";

export interface ContextCacheOptions {
  /** Sessions held at once; the least recently used is evicted first. */
  maxSessions: number;
  /** Log entries held per session, newest kept: also the most history a window can contain. */
  maxMessagesPerSession: number;
  /** Count the JSON bytes of every row read into `stats.bytesFetched` (benchmarks; off by default). */
  measureBytes?: boolean;
}

/**
 * What a worker holds of one session's log. Invariant: `rows` are exactly the non-summary entries
 * with seq in [max(coveredFrom, summary.toSeq + 1), upToSeq], in seq order. Because the log is
 * append-only and gapless, catching up is reading seq > upToSeq: the copy can be short, never wrong.
 */
export interface CachedSession {
  upToSeq: number;
  summary: LoggedSummary | null;
  rows: MessageRow[];
  /** Every entry from this seq to upToSeq has been seen; older ones were never loaded or were trimmed. */
  coveredFrom: number;
}

export interface ContextCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  queries: number;
  rowsFetched: number;
  /** JSON size of the rows fetched (with `measureBytes`): a stable proxy for bytes read from Postgres. */
  bytesFetched: number;
}

export interface ContextCache {
  readonly options: Readonly<ContextCacheOptions>;
  readonly stats: ContextCacheStats;
  /** The session's entry, marked most recently used. */
  get(sessionId: string): CachedSession | undefined;
  /** The session's entry without marking it used. */
  peek(sessionId: string): CachedSession | undefined;
  set(sessionId: string, entry: CachedSession): void;
  delete(sessionId: string): void;
  size(): number;
}

/** A per-worker LRU of session logs, bounded in sessions and in entries per session. */
export function createContextCache(options: ContextCacheOptions): ContextCache {
  for (const [name, value] of Object.entries(options)) {
    if (name === "measureBytes") continue;
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`createContextCache: ${name} must be a positive integer, got ${value}`);
  }
  // A Map iterates in insertion order, so re-inserting on use makes its first key the LRU one.
  const sessions = new Map<string, CachedSession>();
  const stats: ContextCacheStats = { hits: 0, misses: 0, evictions: 0, queries: 0, rowsFetched: 0, bytesFetched: 0 };
  return {
    options: { ...options },
    stats,
    get(sessionId) {
      const entry = sessions.get(sessionId);
      if (entry) {
        sessions.delete(sessionId);
        sessions.set(sessionId, entry);
      }
      return entry;
    },
    peek: (sessionId) => sessions.get(sessionId),
    set(sessionId, entry) {
      sessions.delete(sessionId);
      sessions.set(sessionId, entry);
      while (sessions.size > options.maxSessions) {
        sessions.delete(sessions.keys().next().value!);
        stats.evictions++;
      }
    },
    delete(sessionId) {
      sessions.delete(sessionId);
    },
    size: () => sessions.size,
  };
}
