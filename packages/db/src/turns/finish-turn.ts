import { TurnqError, type ErrorCode } from "@turnq/core";
import type { Db } from "../client.ts";
import type { NewMessage } from "../fencing.ts";
import { prepared, toMessageRow, toTurnRow, turnColumns, type JsonMessage, type RawTurn, type Statement } from "../raw-rows.ts";
import type { MessageRow, TurnRow } from "../schema/index.ts";
import { insertTurnDeliveriesSql } from "../webhooks/turn-deliveries.ts";

export interface TurnUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/**
 * Ends a running turn in one statement (one round trip, atomic): proves the lease under the turn's
 * row lock, takes the next seqs and adds the usage under the session's row lock, appends the
 * messages, records usage and the final status. A lapsed lease changes nothing and returns no row.
 * The turn's webhook deliveries are created by the same statement (none, and no extra round trip,
 * when its tenant has no endpoint for the event).
 */
const finishStatement: Statement = {
  operation: "INSERT",
  collection: "messages",
  name: "finish_turn",
  text: `
with t as (
  select id, session_id, trace_id from turns where id = $1 and lease = $2 and status = 'running' for update
), s as (
  update sessions set last_seq = last_seq + $4, tokens_used = tokens_used + $5, cost_micros = cost_micros + $6
  where id = (select session_id from t)
  returning last_seq
), m as (
  insert into messages (session_id, seq, turn_id, role, content, trace_id)
  select t.session_id, s.last_seq - $4 + x.ord, t.id, x.item->>'role', x.item->'content', t.trace_id
  from t, s, jsonb_array_elements($3::jsonb) with ordinality as x(item, ord)
  returning session_id, seq, turn_id, role, content, trace_id, created_at
), u as (
  update turns set status = $7, output = $8, error_code = $9, error_message = $10, input_tokens = $11,
    cached_input_tokens = $12, output_tokens = $13, cost_micros = $14, agent_version = $15, finished_at = now()
  where id = (select id from t)
  returning ${turnColumns}
), wh as (
  ${insertTurnDeliveriesSql("u")}
)
select u.*, (select coalesce(json_agg(m order by m.seq), '[]'::json) from m) as appended,
  (select coalesce(json_agg(wh.id), '[]'::json) from wh) as webhook_deliveries
from u`,
};

/**
 * Ends a running turn: appends its last messages, records its usage on the turn and the session,
 * and sets the final status, all at once and only under the caller's lease. Its database span
 * (`INSERT messages`, `turnq.db.statement=finish_turn`) carries `turnq.messages.count`.
 */
export async function finishTurn(
  db: Db,
  args: {
    turnId: string;
    lease: number;
    messages: NewMessage[];
    status: "completed" | "cancelled" | "failed";
    output: string | null;
    error?: { code: ErrorCode; message: string } | undefined;
    usage: TurnUsage;
    /** Millionths of a US dollar, from the configured prices. */
    costMicros?: number | undefined;
    agentVersion?: number | undefined;
  },
): Promise<{ turn: TurnRow; messages: MessageRow[]; webhookDeliveries: string[] }> {
  const [row] = await prepared<RawTurn & { appended: JsonMessage[]; webhook_deliveries: string[] }>(db, finishStatement, [
    args.turnId,
    args.lease,
    JSON.stringify(args.messages.map((m) => ({ role: m.role, content: m.content }))),
    args.messages.length,
    args.usage.inputTokens + args.usage.outputTokens,
    args.costMicros ?? 0,
    args.status,
    args.output,
    args.error?.code ?? null,
    args.error?.message ?? null,
    args.usage.inputTokens,
    args.usage.cachedInputTokens,
    args.usage.outputTokens,
    args.costMicros ?? 0,
    args.agentVersion ?? null,
  ], { "turnq.messages.count": args.messages.length });
  if (!row) throw new TurnqError("lease_lost", `Turn ${args.turnId} is no longer held by this worker (lease ${args.lease}); stopping.`);
  return { turn: toTurnRow(row), messages: row.appended.map(toMessageRow), webhookDeliveries: row.webhook_deliveries };
}
