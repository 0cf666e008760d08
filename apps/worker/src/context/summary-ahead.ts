import { raceAbort } from "@turnq/core";
import { saveSummaryDraft, takeSummaryDraft, type Db } from "@turnq/db";
import { draftSummary, type CompactArgs, type SummaryDraft } from "./compact.ts";

/** What a summary written ahead needs: compact's arguments without the turn (it appends nothing). */
export type AheadArgs = Omit<CompactArgs, "turnId" | "lease" | "signal">;

export interface SummaryAheadOptions {
  /** Where finished drafts are also kept, for a turn that runs on another worker (summary_drafts). */
  db: Db;
  /** Drafts held at once (one per session); the oldest is dropped (and its call aborted) first. */
  maxSessions: number;
}

/**
 * Summaries written before a turn needs them. A compaction makes the turn that needs it wait for a
 * whole LLM call (the summary) before its own call can start: seconds with a real model, added to
 * that turn's latency. When a turn's history comes close to the compaction threshold, the worker
 * starts that summary call in the background instead and keeps the draft here, in memory; the turn
 * that then needs the compaction appends the draft (one statement) instead of calling the model, or
 * waits for the draft still being written, never longer than the call it would make itself.
 *
 * A finished draft is also stored in Postgres (summary_drafts, one row per session): a session's
 * next turn runs on whichever worker takes its drain job, and that worker, holding no draft of its
 * own, takes the stored one (one statement). Only a draft still being written is this worker's alone.
 *
 * Nothing goes into the log ahead of time: the draft is appended by the turn that uses it, under its
 * lease and before its own call, exactly as its own compaction would be, so the log and every prompt
 * rebuilt from it (the tests' prompt-from-log.ts) are what they were. A draft is used only if it starts where
 * the log's summaries end and covers nothing of the turn's own (compact checks); a draft that no
 * longer fits, or that no turn ever uses, is dropped, and its call's tokens are the only cost of
 * having written it.
 */
export interface SummaryAhead {
  /** Starts a draft for the session unless one from the same point is held or being written. */
  start(args: AheadArgs): void;
  /**
   * The session's draft, once written (waiting for one this worker is still writing, until `signal`
   * aborts; else the one stored by any worker), or undefined when there is none. Hands it out once.
   */
  take(sessionId: string, signal?: AbortSignal): Promise<SummaryDraft | undefined>;
  /** Aborts every draft still being written and forgets them all (shutdown). */
  close(): void;
  readonly stats: { started: number; taken: number; dropped: number };
}

interface Held {
  /** The seq the draft starts from: one after the summary it continues. */
  from: number;
  draft: Promise<SummaryDraft>;
  controller: AbortController;
}

export function createSummaryAhead(options: SummaryAheadOptions): SummaryAhead {
  if (!Number.isInteger(options.maxSessions) || options.maxSessions < 1) {
    throw new RangeError(`createSummaryAhead: maxSessions must be a positive integer, got ${options.maxSessions}`);
  }
  // Insertion order: the first key is the oldest draft.
  const held = new Map<string, Held>();
  const stats = { started: 0, taken: 0, dropped: 0 };
  const drop = (sessionId: string) => {
    const h = held.get(sessionId);
    if (!h) return;
    held.delete(sessionId);
    h.controller.abort();
    stats.dropped++;
  };
  return {
    stats,
    start(args) {
      const from = (args.previous?.toSeq ?? 0) + 1;
      if (held.get(args.sessionId)?.from === from) return;
      drop(args.sessionId);
      const controller = new AbortController();
      // draftSummary returns every failure (never rejects); take() and compact() read it.
      const draft = draftSummary({ ...args, signal: controller.signal }).then(async (d) => {
        if (d.ok) {
          const row = { sessionId: args.sessionId, fromSeq: d.fromSeq, toSeq: d.toSeq, text: d.text, usage: d.usage };
          // Best effort: without the row, a turn on another worker writes its own summary.
          await saveSummaryDraft(options.db, row).catch(() => {});
        }
        return d;
      });
      held.set(args.sessionId, { from, draft, controller });
      stats.started++;
      while (held.size > options.maxSessions) drop(held.keys().next().value!);
    },
    async take(sessionId, signal) {
      const h = held.get(sessionId);
      if (!h) {
        const stored = await takeSummaryDraft(options.db, sessionId).catch(() => undefined);
        return stored && { ok: true, ...stored };
      }
      held.delete(sessionId);
      stats.taken++;
      if (!signal) return h.draft;
      // A cancelled turn stops waiting (draftSummary never rejects, so a rejection is the abort); the
      // draft's own call is left to finish or be dropped with it.
      return raceAbort(h.draft, signal).catch(() => undefined);
    },
    close() {
      for (const sessionId of [...held.keys()]) drop(sessionId);
    },
  };
}
