import type postgres from "postgres";
import type { TurnSample } from "./closed-loop.ts";
import type { LlmTimes } from "./llm-times.ts";

export type Violations = Record<string, number>;

/**
 * Checks every session's log straight from Postgres after the run. Each count is a number of
 * offending rows; a correct run has all zeros. Timestamps are compared as microsecond integers in
 * SQL because postgres.js hands raw timestamps back as strings.
 */
export async function databaseViolations(sql: postgres.Sql): Promise<Violations> {
  const [row] = await sql<Record<string, string>[]>`
    with t as (
      select id, session_id, position, status, input, output,
             (extract(epoch from started_at) * 1e6)::bigint as started_us,
             lag((extract(epoch from finished_at) * 1e6)::bigint) over w as prev_finished_us,
             lag(position) over w as prev_position
      from turns window w as (partition by session_id order by position)
    ), done as (
      select *, row_number() over (partition by session_id order by position) as k
      from t where status = 'completed'
    ), all_m as (
      select session_id, seq, row_number() over (partition by session_id order by seq) as i from messages
    ), m as (
      -- Compaction summaries (long sessions) are log entries of their own, not part of a turn's pair.
      select session_id, seq, role, turn_id, content->>'text' as text,
             row_number() over (partition by session_id order by seq) as i
      from messages where not (role = 'system' and content ? 'summary')
    ), per_turn as (
      select turn_id, count(*) as n from messages where not (role = 'system' and content ? 'summary') group by turn_id
    )
    select
      -- positions 1, 2, 3… per session
      (select count(*) from t where position <> coalesce(prev_position, 0) + 1) as position_gaps,
      -- a turn started before the previous turn of its session had finished
      (select count(*) from t where started_us < prev_finished_us) as overlapping_turns,
      -- seq 1, 2, 3… per session
      (select count(*) from all_m where seq <> i) as seq_gaps,
      -- message i belongs to the ((i+1)/2)-th completed turn: user input, then assistant output
      (select count(*) from m left join done d on d.session_id = m.session_id and d.k = (m.i + 1) / 2
        where d.id is null or m.turn_id <> d.id
           or m.role <> case when m.i % 2 = 1 then 'user' else 'assistant' end
           or m.text is distinct from case when m.i % 2 = 1 then d.input else d.output end) as misplaced_messages,
      -- every completed turn appended exactly its two messages
      (select count(*) from done d left join per_turn p on p.turn_id = d.id where coalesce(p.n, 0) <> 2) as wrong_message_counts`;
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

/**
 * What the clients and the simulator saw: positions handed out 1, 2, 3… per session, and no LLM
 * call of a session starting before the previous one ended (simulator clock, whole ms).
 */
export function observedViolations(samples: TurnSample[], llm: LlmTimes): Violations {
  const bySession = new Map<string, TurnSample[]>();
  for (const s of samples) {
    const list = bySession.get(s.sessionId);
    if (list) list.push(s);
    else bySession.set(s.sessionId, [s]);
  }
  let positionSkips = 0;
  let overlappingLlmCalls = 0;
  for (const list of bySession.values()) {
    list.sort((a, b) => a.position - b.position);
    list.forEach((s, i) => {
      if (s.position !== i + 1) positionSkips++;
      const prev = i > 0 ? llm.byInput.get(list[i - 1]!.input) : undefined;
      const cur = llm.byInput.get(s.input);
      if (prev && cur && cur.startedAt < prev.endedAt) overlappingLlmCalls++;
    });
  }
  return { client_position_skips: positionSkips, overlapping_llm_calls: overlappingLlmCalls };
}

/**
 * What makes a load run fail (the bench then exits non-zero): requests that errored, turns that did
 * not complete, order violations. Empty when the run is clean.
 */
export function runFailures(errors: string[], samples: Pick<TurnSample, "turnId" | "status">[], violations: Violations): string[] {
  const failures: string[] = [];
  const notCompleted = samples.filter((s) => s.status !== "completed");
  if (errors.length + notCompleted.length > 0) {
    failures.push(
      `${errors.length + notCompleted.length} turns or requests failed: ` +
        [...errors.slice(0, 3), ...notCompleted.slice(0, 3).map((s) => `turn ${s.turnId} ended ${s.status}`)].join("; "),
    );
  }
  if (Object.values(violations).some((n) => n > 0)) failures.push(`order violations: ${JSON.stringify(violations)}`);
  return failures;
}
