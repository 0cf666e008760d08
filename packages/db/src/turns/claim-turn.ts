import type { Db } from "../client.ts";
import { historyRowsSql } from "../messages-repo.ts";
import { prepared, toMessageRow, toTurnRow, turnColumns, type JsonMessage, type RawTurn, type Statement } from "../raw-rows.ts";
import type { MessageRow, TurnRow } from "../schema/index.ts";

/** What a claim also reads in the same statement, so the turn can start without another round trip. */
export interface ClaimedSession {
  agentId: string | null;
  tokenBudget: number | null;
  tokensUsed: number;
}

export type ClaimResult =
  | { kind: "idle" }
  | { kind: "claimed"; turn: TurnRow; session: ClaimedSession; history: MessageRow[] }
  | { kind: "exhausted"; turn: TurnRow };

/** Which log entries to read with the claim: the newest `limit` with seq > `afterSeq`, in seq order. */
export interface HistoryRead {
  afterSeq: number;
  limit: number;
}

/** When a turn has had enough: attempts that ended in a recorded error, and runs its workers died in. */
export interface ClaimLimits {
  maxAttempts: number;
  /** Claims that may find the turn abandoned mid-run (a poison turn crashes every worker that runs it). */
  maxCrashes: number;
}

/**
 * Takes the session's oldest unfinished turn and bumps its lease, fencing out any earlier holder.
 * A `queued` turn starts a new attempt (`attempts` + 1). A turn still `running` was abandoned: its
 * holder died (or lost its lock) before it recorded any outcome, so this claim takes over that
 * attempt (`attempts` unchanged) and counts a crash instead: a turn that was merely in flight when
 * workers died never uses up its attempts. A turn out of attempts ($2) or of crashes ($5) is marked
 * failed instead, so a poison turn cannot block its session forever. In SET every column reads the
 * row as it was, so each condition is decided before the bump. The same statement returns what
 * the turn needs to start: the session's agent and budget, and the log entries after `afterSeq`.
 *
 * A claim that starts a turn commits without waiting for its WAL flush (synchronous_commit off for
 * this transaction only): the flush is a third fsync on every turn's path (about 2 ms on this
 * machine's disk) and nothing depends on the claim surviving a Postgres crash by itself. Every later
 * write of the turn (tool intents, appends, finish) commits synchronously, and the WAL is flushed in
 * order, so once any of them is durable the claim is too. A claim lost in a crash only sends the turn
 * back to its previous state, and its lease must then never be handed out again: the lease is
 * therefore a timestamp in microseconds (at least the old lease + 1), not a counter, so a later claim
 * cannot recreate a lost claim's lease and its holder's writes fail the fence. A claim that gives up
 * on a spent turn is a final status and stays synchronous.
 */
const spent = `((status = 'queued' and attempts >= $2) or (status = 'running' and crashes >= $5))`;
const claimStatement: Statement = {
  operation: "UPDATE",
  collection: "turns",
  name: "claim_turn",
  text: `
with claimed as (
  update turns set
    status = case when ${spent} then 'failed' else 'running' end,
    attempts = case when ${spent} or status = 'running' then attempts else attempts + 1 end,
    crashes = case when status = 'running' then crashes + 1 else crashes end,
    lease = case when ${spent} then lease else greatest(lease + 1, (extract(epoch from clock_timestamp()) * 1000000)::bigint) end,
    started_at = coalesce(started_at, now()),
    error_code = case when ${spent} then 'turn_attempts_exhausted' else error_code end,
    error_message = case
      when status = 'running' and crashes >= $5
        then 'Gave up after workers died ' || (crashes + 1) || ' times while running this turn (it may be what crashes them). Submit the turn again to retry.'
      when ${spent}
        then 'Gave up after ' || attempts || ' attempts' || coalesce('; last error: ' || error_message, '') || '. Submit the turn again to retry.'
      else error_message end,
    finished_at = case when ${spent} then now() else finished_at end
  where id = (select id from turns where session_id = $1 and status in ('queued', 'running') order by position limit 1 for update)
  returning ${turnColumns}
)
select c.*, case when c.status = 'running' then set_config('synchronous_commit', 'off', true) end as commit_mode,
  s.agent_id as session_agent_id, s.token_budget as session_token_budget, s.tokens_used as session_tokens_used,
  case when c.status = 'running' then (
    select coalesce(json_agg(h order by h.seq), '[]'::json) from (${historyRowsSql("$1", "$3", "$4")}) h
  ) end as history
from claimed c join sessions s on s.id = c.session_id`,
};

export async function claimNextTurn(db: Db, sessionId: string, limits: ClaimLimits, read: HistoryRead = { afterSeq: 0, limit: 0 }): Promise<ClaimResult> {
  const [row] = await prepared<
    RawTurn & { session_agent_id: string | null; session_token_budget: string | null; session_tokens_used: string; history: JsonMessage[] | null }
  >(db, claimStatement, [sessionId, limits.maxAttempts, read.afterSeq, read.limit, limits.maxCrashes]);
  if (!row) return { kind: "idle" };
  const turn = toTurnRow(row);
  if (turn.status === "failed") return { kind: "exhausted", turn };
  return {
    kind: "claimed",
    turn,
    session: {
      agentId: row.session_agent_id,
      tokenBudget: row.session_token_budget === null ? null : Number(row.session_token_budget),
      tokensUsed: Number(row.session_tokens_used),
    },
    history: (row.history ?? []).map(toMessageRow),
  };
}
