import { readHistory, type Db, type HistoryRead, type MessageRow } from "@turnq/db";
import type { CachedSession, ContextCache } from "./context-cache.ts";
import { asLoggedSummary, type LoggedSummary } from "./summary-entry.ts";

export interface LoadedHistory {
  summary: LoggedSummary | null;
  /** Non-summary entries after the summary's range, in seq order, at most maxMessagesPerSession. */
  history: readonly MessageRow[];
  /** The last seq seen: the log as of this read. */
  upToSeq: number;
  /**
   * Entries after the summary exist that are not in `history` (too many since the last summary, or
   * a summary further back than the cache reaches). The window may then lack what the full rule
   * would send; compaction brings the session back within reach.
   */
  truncated: boolean;
  source: "warm" | "cold";
  /** Rows this call read from Postgres. */
  fetchedRows: number;
}

/**
 * What to read for the session's next window, given what the cache holds: warm, the entries after
 * its copy; cold, the newest `limit + 1` (the latest summary among them marks where history starts).
 * The drain loop reads this with the claim of a turn (one round trip for both); see `prefetched`.
 */
export function historyRead(cache: ContextCache, sessionId: string): HistoryRead {
  const limit = cache.options.maxMessagesPerSession;
  const entry = cache.peek(sessionId);
  return entry ? { afterSeq: entry.upToSeq, limit } : { afterSeq: 0, limit: limit + 1 };
}

/** Rows already read for `read` (by the claim), used instead of querying when the cache still matches. */
export interface PrefetchedHistory {
  read: HistoryRead;
  rows: MessageRow[];
}

/**
 * The session's history for the next window. Warm: reads only seq > what the cache holds (one
 * indexed query, usually returning this turn's few new rows). Cold or evicted: the latest summary
 * among the newest maxMessagesPerSession + 1 entries and what follows it, in the same one query (see
 * historyRowsSql) — never the whole log. `prefetched` rows stand in for the one read they answer.
 */
export async function loadHistory(db: Db, cache: ContextCache, sessionId: string, prefetched?: PrefetchedHistory): Promise<LoadedHistory> {
  const limit = cache.options.maxMessagesPerSession;
  let fetchedRows = 0;
  const read = async (afterSeq: number, count: number): Promise<MessageRow[]> => {
    const given = prefetched && prefetched.read.afterSeq === afterSeq && prefetched.read.limit === count ? prefetched.rows : undefined;
    prefetched = undefined;
    const rows = given ?? (await readHistory(db, sessionId, { afterSeq, limit: count }));
    cache.stats.queries++;
    fetchedRows += rows.length;
    cache.stats.rowsFetched += rows.length;
    // Serialising every row to measure it is for the benchmark, not for production.
    if (cache.options.measureBytes) for (const row of rows) cache.stats.bytesFetched += Buffer.byteLength(JSON.stringify(row));
    return rows;
  };

  let entry = cache.get(sessionId);
  let source: LoadedHistory["source"] = "warm";
  if (entry) {
    cache.stats.hits++;
    const fresh = await read(entry.upToSeq, limit);
    // More new entries than we keep: a summary may hide among the skipped ones, so start over.
    if (fresh.length === limit && fresh[0]!.seq > entry.upToSeq + 1) entry = undefined;
    else absorb(entry, fresh, limit);
  } else {
    cache.stats.misses++;
  }
  if (!entry) {
    source = "cold";
    // limit + 1: with `limit` entries after it, the summary itself is one further back.
    const newest = await read(0, limit + 1);
    let summary: LoggedSummary | null = null;
    for (const row of newest) summary = asLoggedSummary(row) ?? summary;
    const base = summary?.toSeq ?? 0;
    const rows = newest.filter((r) => r.seq > base).slice(-limit);
    entry = { upToSeq: base, summary, rows: [], coveredFrom: rows.length < limit ? base + 1 : rows[0]!.seq };
    absorb(entry, rows, limit);
  }
  cache.set(sessionId, entry);
  return {
    summary: entry.summary,
    history: entry.rows.slice(),
    upToSeq: entry.upToSeq,
    truncated: entry.coveredFrom > (entry.summary?.toSeq ?? 0) + 1,
    source,
    fetchedRows,
  };
}

/**
 * Entries this worker just appended (their rows came back from the insert): the cache takes them
 * when they continue its copy, so the session's next read asks only for what others appended.
 */
export function rememberAppended(cache: ContextCache, sessionId: string, rows: readonly MessageRow[]): void {
  const entry = cache.peek(sessionId);
  if (!entry || rows.length === 0 || rows[0]!.seq !== entry.upToSeq + 1) return;
  absorb(entry, [...rows], cache.options.maxMessagesPerSession);
}

/** Folds newly read entries (seq order) into the cached copy, keeping its invariant. */
function absorb(entry: CachedSession, rows: MessageRow[], limit: number): void {
  for (const row of rows) {
    if (row.seq <= entry.upToSeq) continue;
    entry.upToSeq = row.seq;
    const summary = asLoggedSummary(row);
    if (summary) {
      if (!entry.summary || summary.seq > entry.summary.seq) {
        entry.summary = summary;
        entry.rows = entry.rows.filter((r) => r.seq > summary.toSeq);
      }
      continue;
    }
    if (row.seq > (entry.summary?.toSeq ?? 0)) entry.rows.push(row);
  }
  if (entry.rows.length > limit) {
    const dropped = entry.rows.splice(0, entry.rows.length - limit);
    entry.coveredFrom = Math.max(entry.coveredFrom, dropped.at(-1)!.seq + 1);
  }
}
