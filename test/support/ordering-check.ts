import { expect } from "vitest";
import { createSession, post, waitTurn } from "./http.ts";
import { logProblems, logsBySession } from "./log-checks.ts";
import type { TestSystem } from "./system.ts";

/**
 * The ordering check of issue #1, shared by test/e2e/ordering.test.ts (one Redis) and
 * redis-cluster.test.ts: `sessions` sessions each fire `turns` turns at once; then every log must be
 * u1,a1,u2,a2,… in position order with gapless seq, every LLM call must have seen exactly the turns
 * before it, and no two turns of a session may have overlapped. Returns the session ids.
 */
export async function checkOrderingUnderLoad(sys: TestSystem, opts: { sessions: number; turns: number }): Promise<string[]> {
  const SESSIONS = opts.sessions;
  const TURNS = opts.turns;
  const base = sys.api.url;
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => createSession(base)));
  // Every session fires all its turns at once; the API's 202 fixes each turn's position.
  const accepted = await Promise.all(
    sessions.flatMap((sessionId, s) =>
      Array.from({ length: TURNS }, async (_, t) => {
        const input = `s${s}-t${t}`;
        const r = await post(base, `/v1/sessions/${sessionId}/turns`, { input });
        expect(r.status).toBe(202);
        return { sessionId, id: r.body.id as string, input, position: r.body.position as number };
      }),
    ),
  );
  const finished = await Promise.all(accepted.map((t) => waitTurn(base, t.id, 120)));
  expect(finished.filter((t) => t.status !== "completed")).toEqual([]);

  // 1. Every log is u1,a1,u2,a2,… in position order, seq gapless.
  const logs = await logsBySession(sys.db);
  for (const sessionId of sessions) {
    const turns = accepted.filter((t) => t.sessionId === sessionId);
    expect(turns.map((t) => t.position).sort((a, b) => a - b)).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
    expect(logProblems(logs.get(sessionId) ?? [], turns), sessionId).toEqual([]);
  }

  // 2. Each LLM call saw exactly the system prompt and the messages of the earlier turns. A turn
  // may call the model more than once (an in-call retry, a redelivery after a lost lock): every
  // such call must see the same history, and every turn was answered by at least one.
  const byInput = new Map(accepted.map((t) => [t.input, t]));
  const calls = sys.sim.requests.filter((r) => !r.aborted && r.status === 200);
  const callsByTurn = new Map<string, { start: number; end: number }[]>();
  for (const call of calls) {
    const input = (call.messages as { content: string }[]).at(-1)!.content;
    callsByTurn.set(input, [...(callsByTurn.get(input) ?? []), { start: call.startedAt, end: call.endedAt! }]);
  }
  expect(accepted.filter((t) => !callsByTurn.has(t.input)).map((t) => t.input)).toEqual([]);
  expect([...callsByTurn.keys()].filter((input) => !byInput.has(input))).toEqual([]);
  for (const call of calls) {
    const msgs = call.messages as { role: string; content: string }[];
    const turn = byInput.get(msgs.at(-1)!.content)!;
    const earlier = accepted
      .filter((t) => t.sessionId === turn.sessionId && t.position < turn.position)
      .sort((a, b) => a.position - b.position);
    const expected = [
      "system",
      ...earlier.flatMap((t, k) => [`user:${t.input}`, `assistant:Echo: ${t.input} (saw ${2 * k + 2} messages)`]),
      `user:${turn.input}`,
    ];
    expect(msgs.map((m, i) => (i === 0 ? m.role : `${m.role}:${m.content}`))).toEqual(expected);
  }

  // 3. No two turns of one session overlapped: neither their LLM calls nor their running spans.
  const rows = await sys.db.sql<{ session_id: string; position: number; started_us: string; finished_us: string }[]>`
    select session_id, position,
           (extract(epoch from started_at) * 1e6)::bigint as started_us,
           (extract(epoch from finished_at) * 1e6)::bigint as finished_us
    from turns order by session_id, position`;
  for (let i = 1; i < rows.length; i++) {
    const [prev, cur] = [rows[i - 1]!, rows[i]!];
    if (prev.session_id !== cur.session_id) continue;
    expect(BigInt(cur.started_us) >= BigInt(prev.finished_us), `${cur.session_id} #${cur.position} started before #${prev.position} finished`).toBe(true);
  }
  // As the model saw it: no call of a turn started before the previous turn had its answer
  // (the earliest end among that turn's calls; a repeated call may still be finishing).
  for (const turn of accepted) {
    const previous = accepted.find((t) => t.sessionId === turn.sessionId && t.position === turn.position - 1);
    if (!previous) continue;
    const answered = Math.min(...callsByTurn.get(previous.input)!.map((c) => c.end));
    const firstStart = Math.min(...callsByTurn.get(turn.input)!.map((c) => c.start));
    expect(firstStart, `${turn.sessionId} #${turn.position} called the model before #${previous.position} was answered`).toBeGreaterThanOrEqual(answered);
  }
  return sessions;
}
