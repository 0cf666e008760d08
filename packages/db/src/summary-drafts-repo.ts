import { eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { summaryDrafts, type SummaryDraftRow } from "./schema/index.ts";

export type NewSummaryDraft = Omit<SummaryDraftRow, "createdAt">;

/** Keeps a session's draft for whichever worker runs its next compaction; replaces an older one. */
export async function saveSummaryDraft(db: Db, draft: NewSummaryDraft): Promise<void> {
  await db
    .insert(summaryDrafts)
    .values(draft)
    .onConflictDoUpdate({
      target: summaryDrafts.sessionId,
      set: { fromSeq: draft.fromSeq, toSeq: draft.toSeq, text: draft.text, usage: draft.usage, createdAt: sql`now()` },
    });
}

/** Removes and returns the session's draft (one statement): a draft is appended at most once. */
export async function takeSummaryDraft(db: Db, sessionId: string): Promise<NewSummaryDraft | undefined> {
  const [row] = await db.delete(summaryDrafts).where(eq(summaryDrafts.sessionId, sessionId)).returning();
  if (!row) return undefined;
  const { createdAt: _, ...draft } = row;
  return draft;
}
