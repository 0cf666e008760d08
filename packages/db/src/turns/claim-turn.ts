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

/**
 * Takes the session's oldest unfinished turn: bumps its lease (fencing out any earlier holder) and
 * its attempt count; a turn already claimed `maxAttempts` times (it crashed or failed that often)
 * is marked failed instead, so a poison turn cannot block its session forever. In SET every column
 * reads the row as it was, so `spent` is decided before the bump. The same statement returns what
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
const claimStatement: Statement = {
  operation: "UPDATE",
  collection: "turns",
  text: `
with claimed as (
  update turns set
    status = case when attempts >= $2 then 'failed' else 'running' end,
    attempts = case when attempts >= $2 then attempts else attempts + 1 end,
    lease = case when attempts >= $2 then lease else greatest(lease + 1, (extract(epoch from clock_timestamp()) * 1000000)::bigint) end,
    started_at = coalesce(started_at, now()),
    error_code = case when attempts >= $2 then 'turn_attempts_exhausted' else error_code end,
    error_message = case when attempts >= $2
      then 'Gave up after ' || attempts || ' attempts' || coalesce('; last error: ' || error_message, '') || '. Submit the turn again to retry.'
      else error_message end,
    finished_at = case when attempts >= $2 then now() else finished_at end
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

export async function claimNextTurn(db: Db, sessionId: string, maxAttempts: number, read: HistoryRead = { afterSeq: 0, limit: 0 }): Promise<ClaimResult> {
  const [row] = await prepared<
    RawTurn & { session_agent_id: string | null; session_token_budget: string | null; session_tokens_used: string; history: JsonMessage[] | null }
  >(db, claimStatement, [sessionId, maxAttempts, read.afterSeq, read.limit]);
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
