import { and, asc, eq, sql } from "drizzle-orm";
import { newId, TurnqError } from "@turnq/core";
import type { Db } from "../client.ts";
import { pending, type Tx } from "../fencing.ts";
import { prepared, toTurnRow, turnColumns, type RawTurn, type Statement } from "../raw-rows.ts";
import { sessions, turns, type TurnRow } from "../schema/index.ts";
import { requestCancel } from "./cancel-turn.ts";

export interface SubmitTurnInput {
  /** The new turn's id, when the caller needs it before the turn exists (to listen for its end). */
  id?: string | undefined;
  sessionId: string;
  /** The caller's tenant: a session of another tenant is not found. */
  tenantId: string;
  /** The key that submitted the turn, recorded on it. */
  apiKeyId?: string | undefined;
  input: string;
  idempotencyKey?: string | undefined;
  requestHash: string;
  traceId?: string | undefined;
  traceParent?: string | undefined;
  /** What to do when the session already has unfinished turns. Default "enqueue". */
  onBusy?: "enqueue" | "reject" | "interrupt" | undefined;
  /**
   * Commit without waiting for the WAL flush: for a caller that will not acknowledge the turn until
   * a later synchronous commit has flushed it (its finish, or confirmTurnDurable). See submitTurn.
   */
  deferFlush?: boolean | undefined;
}

export interface SubmitTurnResult {
  turn: TurnRow;
  created: boolean;
  /** Running turns that were asked to stop (onBusy "interrupt"); the caller signals their workers. */
  interrupted: string[];
  /** Webhook deliveries of the queued turns it cancelled (onBusy "interrupt"), committed with them. */
  webhookDeliveries?: string[];
}

/**
 * The common submit in one statement (one round trip, no transaction): a replay of the same
 * Idempotency-Key returns the stored turn; otherwise the session's next position is taken under its
 * row lock and the turn inserted. No row comes back when the session does not exist or when a
 * request with the same key committed while this one waited for the lock; the transactional path
 * then says which. (In that race the position this statement took is skipped: positions increase,
 * and are gapless except there.)
 */
const submitStatement = submitSql("");
/** The same, committing without waiting for its WAL flush (synchronous_commit off for this transaction). */
const submitDeferredStatement = submitSql(", set_config('synchronous_commit', 'off', true) as commit_mode");

function submitSql(extra: string): Statement {
  return {
    operation: "INSERT",
    collection: "turns",
    name: "submit_turn",
    text: `
with existing as (
  select ${turnColumns} from turns where session_id = $1 and idempotency_key = $2 and tenant_id = $8
), bumped as (
  update sessions set last_position = last_position + 1
  where id = $1 and tenant_id = $8 and not exists (select 1 from existing)
  returning last_position
), inserted as (
  insert into turns (id, session_id, tenant_id, api_key_id, position, input, idempotency_key, request_hash, trace_id, trace_parent)
  select $3, $1, $8, $9, last_position, $4, $2, $5, $6, $7 from bumped
  on conflict (session_id, idempotency_key) where idempotency_key is not null do nothing
  returning ${turnColumns}
)
select true as created${extra}, * from inserted
union all
select false as created${extra ? ", null" : ""}, * from existing`,
  };
}

/**
 * Stores a turn at the session's next position. Taking the position (an UPDATE of the session row)
 * also takes the row lock that serialises submits of one session, which makes the Idempotency-Key
 * check race-free: a second request with the same key waits for the first to commit, then finds its
 * turn and rolls its own position back.
 *
 * `deferFlush` saves the submit's fsync (about 2 ms here) for a client that waits for the turn's
 * end (`Prefer: wait`): it is told nothing until the turn's finish, a synchronous commit, has
 * flushed the WAL, which holds this commit before it. Only the common path defers; should the
 * wait end first, the API makes the turn durable (confirmTurnDurable) before answering 202.
 */
export async function submitTurn(db: Db, input: SubmitTurnInput): Promise<SubmitTurnResult> {
  if ((input.onBusy ?? "enqueue") === "enqueue") {
    const statement = input.deferFlush ? submitDeferredStatement : submitStatement;
    const [row] = await prepared<RawTurn & { created: boolean }>(db, statement, [
      input.sessionId,
      input.idempotencyKey ?? null,
      input.id ?? newId("turn"),
      input.input,
      input.requestHash,
      input.traceId ?? null,
      input.traceParent ?? null,
      input.tenantId,
      input.apiKeyId ?? null,
    ]);
    if (row && (row.created || row.request_hash === input.requestHash)) {
      return { turn: toTurnRow(row), created: row.created, interrupted: [] };
    }
  }
  return submitInTransaction(db, input);
}

/** The general path: busy policies, a missing session, a reused key with another body. */
async function submitInTransaction(db: Db, input: SubmitTurnInput): Promise<SubmitTurnResult> {
  try {
    return await db.transaction(async (tx) => {
      const [bumped] = await tx
        .update(sessions)
        .set({ lastPosition: sql`${sessions.lastPosition} + 1` })
        .where(and(eq(sessions.id, input.sessionId), eq(sessions.tenantId, input.tenantId)))
        .returning({ position: sessions.lastPosition });
      if (!bumped) throw new TurnqError("not_found", `Session ${input.sessionId} does not exist; create it with POST /v1/sessions.`);
      if (input.idempotencyKey !== undefined) {
        const [existing] = await tx
          .select()
          .from(turns)
          .where(and(eq(turns.sessionId, input.sessionId), eq(turns.idempotencyKey, input.idempotencyKey)));
        if (existing) {
          if (existing.requestHash !== input.requestHash) {
            throw new TurnqError(
              "idempotency_key_reused",
              "This Idempotency-Key was already used with a different request body; use a new key for a new turn.",
              { details: { turnId: existing.id } },
            );
          }
          throw new Replayed(existing);
        }
      }
      const webhookDeliveries: string[] = [];
      const interrupted = await applyBusyPolicy(tx, input.sessionId, input.onBusy ?? "enqueue", webhookDeliveries);
      const [turn] = await tx
        .insert(turns)
        .values({
          id: input.id ?? newId("turn"),
          sessionId: input.sessionId,
          tenantId: input.tenantId,
          apiKeyId: input.apiKeyId ?? null,
          position: bumped.position,
          input: input.input,
          idempotencyKey: input.idempotencyKey ?? null,
          requestHash: input.requestHash,
          traceId: input.traceId ?? null,
          traceParent: input.traceParent ?? null,
        })
        .returning();
      return { turn: turn!, created: true, interrupted, webhookDeliveries };
    });
  } catch (err) {
    if (err instanceof Replayed) return { turn: err.turn, created: false, interrupted: [] };
    throw err;
  }
}

/** Thrown inside the transaction to roll back the position taken for a request that is a replay. */
class Replayed extends Error {
  readonly turn: TurnRow;
  constructor(turn: TurnRow) {
    super("idempotent replay");
    this.turn = turn;
  }
}

/** Under the session lock: refuse (reject), or stop what is ahead of the new turn (interrupt). */
async function applyBusyPolicy(tx: Tx, sessionId: string, policy: "enqueue" | "reject" | "interrupt", deliveries: string[]): Promise<string[]> {
  if (policy === "enqueue") return [];
  const ahead = await tx
    .select({ id: turns.id, status: turns.status })
    .from(turns)
    .where(and(eq(turns.sessionId, sessionId), pending))
    .orderBy(asc(turns.position));
  if (ahead.length === 0) return [];
  if (policy === "reject") {
    throw new TurnqError("session_busy", "The session already has a turn in progress; wait for it, or submit with onBusy \"enqueue\" or \"interrupt\".", {
      details: { turnId: ahead[0]!.id },
    });
  }
  const interrupted: string[] = [];
  for (const t of ahead) {
    const row = await requestCancel(tx, t.id, "Interrupted by a newer turn (onBusy: interrupt).", undefined, deliveries);
    // The status as read under the turn's row lock: a worker may have claimed a turn the select above
    // saw queued. Such a turn is only flagged, and its worker must be told (it checks the flag at claim
    // and between steps, so one long model call would otherwise run to its end).
    if (row?.status === "running") interrupted.push(t.id);
  }
  return interrupted;
}
