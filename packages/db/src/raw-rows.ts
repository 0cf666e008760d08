import type { Attributes } from "@opentelemetry/api";
import type postgres from "postgres";
import type { Db } from "./client.ts";
import { traced, underlyingSql } from "./tracing.ts";
import type { MessageRow, TurnRow } from "./schema/index.ts";

/**
 * The hot path's statements are written in SQL and run as named prepared statements: Postgres
 * parses and plans each once per connection, and one statement is one round trip. Drizzle builds the
 * cold ones. This module holds what they share: the client, the column lists and the row mapping.
 */

/** A hot statement: constant SQL, the name of its database span (`{operation} {collection}`), and its own name. */
export interface Statement {
  operation: string;
  collection: string;
  /** Snake case, unique, e.g. `finish_turn`: the span's `turnq.db.statement`, in place of the SQL text. */
  name: string;
  text: string;
}

/**
 * Runs one named prepared statement (Postgres parses and plans it once per connection) in its
 * database span. The span is named by the statement's main operation, which the SQL text of a
 * statement built from CTEs does not tell. It carries the statement's name, not its text: the text
 * is constant (it is in this package under that name), and an exporter would otherwise encode
 * about 1.4 KB of SQL a span, the largest single cost of encoding a turn's spans.
 */
export function prepared<T extends object>(db: Db, statement: Statement, params: unknown[], attributes?: Attributes): Promise<T[]> {
  const { sql, base } = underlyingSql(db.$client as postgres.Sql);
  return traced(statement.operation, statement.collection, statement, () =>
    sql.unsafe(statement.text, params as postgres.ParameterOrJSON<never>[], { prepare: true }),
    attributes ? { ...base, ...attributes } : base,
  ) as unknown as Promise<T[]>;
}

/** Every column of turns, in the table's order. */
export const turnColumns = `id, session_id, tenant_id, api_key_id, position, status, input, output, error_code, error_message, attempts, crashes,
  agent_version, input_tokens, cached_input_tokens, output_tokens, cost_micros, cancel_requested_at, lease,
  idempotency_key, request_hash, trace_id, trace_parent, created_at, started_at, finished_at`;

/** A turns row as postgres.js returns it (int8 columns arrive as strings). */
export interface RawTurn {
  id: string;
  session_id: string;
  tenant_id: string;
  api_key_id: string | null;
  position: number;
  status: TurnRow["status"];
  input: string;
  output: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  crashes: number;
  agent_version: number | null;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_micros: string | number;
  cancel_requested_at: Timestamp | null;
  lease: string | number;
  idempotency_key: string | null;
  request_hash: string;
  trace_id: string | null;
  trace_parent: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

/** Drizzle sets postgres.js to hand timestamps over as text; json_agg gives them as text too. */
type Timestamp = string | Date;

function toDate(v: Timestamp): Date;
function toDate(v: Timestamp | null | undefined): Date | null;
function toDate(v: Timestamp | null | undefined): Date | null {
  return v === null || v === undefined ? null : v instanceof Date ? v : new Date(v);
}

export function toTurnRow(r: RawTurn): TurnRow {
  return {
    id: r.id,
    sessionId: r.session_id,
    tenantId: r.tenant_id,
    apiKeyId: r.api_key_id,
    position: r.position,
    status: r.status,
    input: r.input,
    output: r.output,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    attempts: r.attempts,
    crashes: r.crashes,
    agentVersion: r.agent_version,
    inputTokens: r.input_tokens,
    cachedInputTokens: r.cached_input_tokens,
    outputTokens: r.output_tokens,
    costMicros: Number(r.cost_micros),
    cancelRequestedAt: toDate(r.cancel_requested_at),
    lease: Number(r.lease),
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    traceId: r.trace_id,
    traceParent: r.trace_parent,
    createdAt: toDate(r.created_at),
    startedAt: toDate(r.started_at),
    finishedAt: toDate(r.finished_at),
  };
}

/** A messages row as `json_agg` / `row_to_json` gives it (timestamps as text). */
export interface JsonMessage {
  session_id: string;
  seq: number;
  turn_id: string;
  role: MessageRow["role"];
  content: MessageRow["content"];
  trace_id: string | null;
  created_at: string;
}

export function toMessageRow(m: JsonMessage): MessageRow {
  return {
    sessionId: m.session_id,
    seq: Number(m.seq),
    turnId: m.turn_id,
    role: m.role,
    content: m.content,
    traceId: m.trace_id,
    createdAt: toDate(m.created_at),
  };
}

/** A TurnRow that travelled as JSON (a turns-done notification): its timestamps become Dates again. */
export function reviveTurnRow(value: unknown): TurnRow {
  const t = value as TurnRow & Record<"createdAt" | "startedAt" | "finishedAt" | "cancelRequestedAt", Timestamp | null>;
  return {
    ...t,
    createdAt: toDate(t.createdAt as Timestamp),
    startedAt: toDate(t.startedAt),
    finishedAt: toDate(t.finishedAt),
    cancelRequestedAt: toDate(t.cancelRequestedAt),
  };
}
