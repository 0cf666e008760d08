import type { DbHandle } from "@turnq/db";

export interface LoggedMessage {
  sessionId: string;
  seq: number;
  turnId: string;
  role: string;
  text: string | null;
}

/** The whole log of the given sessions straight from Postgres, in seq order per session. */
export async function logsBySession(db: Pick<DbHandle, "sql">): Promise<Map<string, LoggedMessage[]>> {
  const rows = await db.sql<{ session_id: string; seq: string; turn_id: string; role: string; text: string | null }[]>`
    select session_id, seq, turn_id, role, content->>'text' as text from messages order by session_id, seq`;
  const out = new Map<string, LoggedMessage[]>();
  for (const r of rows) {
    const list = out.get(r.session_id) ?? [];
    list.push({ sessionId: r.session_id, seq: Number(r.seq), turnId: r.turn_id, role: r.role, text: r.text });
    out.set(r.session_id, list);
  }
  return out;
}

/**
 * Checks one session's log against its turns in position order: seq 1..n without gaps, and exactly
 * user(input), assistant(echo) per turn. Returns a list of problems (empty when the log is right).
 */
export function logProblems(
  log: LoggedMessage[],
  turns: { id: string; input: string; position: number }[],
): string[] {
  const problems: string[] = [];
  log.forEach((m, i) => {
    if (m.seq !== i + 1) problems.push(`seq ${m.seq} at index ${i}`);
  });
  const expected = [...turns]
    .sort((a, b) => a.position - b.position)
    .flatMap((t, k) => [
      { turnId: t.id, role: "user", text: t.input },
      { turnId: t.id, role: "assistant", text: `Echo: ${t.input} (saw ${2 * k + 2} messages)` },
    ]);
  if (log.length !== expected.length) problems.push(`expected ${expected.length} messages, found ${log.length}`);
  expected.forEach((e, i) => {
    const m = log[i];
    if (!m || m.turnId !== e.turnId || m.role !== e.role || m.text !== e.text) {
      problems.push(`message ${i + 1}: expected ${JSON.stringify(e)}, found ${JSON.stringify(m)}`);
    }
  });
  return problems;
}
