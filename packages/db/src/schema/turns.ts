import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { TurnStatus } from "@turnq/core";
import { sessions } from "./sessions.ts";

export const turns = pgTable(
  "turns",
  {
    id: text().primaryKey(),
    sessionId: text()
      .notNull()
      .references(() => sessions.id),
    /**
     * The session's tenant, kept on the turn so a turn is found by id within its tenant in one lookup.
     * No foreign key: the submit writes it only through its session's row (`where id = $1 and
     * tenant_id = $8`), whose own key holds the tenant. A key here cost every submit a FOR KEY SHARE
     * lock on the one row all of a tenant's turns share, written to the WAL (with the key below:
     * 524 instead of 270 WAL bytes and 15 % fewer inserts a second in a pgbench of the insert alone).
     */
    tenantId: text().notNull(),
    /**
     * The key that submitted it (null only for turns from before keys existed). No foreign key, for
     * the same reason: keys are revoked, never deleted, and this is a record of which key it was.
     */
    apiKeyId: text(),
    /** 1, 2, 3… in submission order within the session. */
    position: integer().notNull(),
    status: text().$type<TurnStatus>().notNull().default("queued"),
    input: text().notNull(),
    output: text(),
    errorCode: text(),
    errorMessage: text(),
    /**
     * Claims of this turn that ran to a recorded outcome, plus the one running now. A claim that
     * finds the turn still `running` (its holder died or lost its lock) does not add one: that
     * attempt is counted in `crashes` instead.
     */
    attempts: integer().notNull().default(0),
    /** Claims that found the turn abandoned mid-run by an earlier holder; bounded separately (poison turns). */
    crashes: integer().notNull().default(0),
    /** Agent version the turn ran with (set when it first runs). */
    agentVersion: integer(),
    inputTokens: integer().notNull().default(0),
    cachedInputTokens: integer().notNull().default(0),
    outputTokens: integer().notNull().default(0),
    /** What the turn's model calls cost, in millionths of a US dollar (0 when no prices are configured). */
    costMicros: bigint({ mode: "number" }).notNull().default(0),
    /** Set by POST /v1/turns/{id}/cancel; a running worker stops at its next check. */
    cancelRequestedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Fencing token: bumped on every claim; appends must present the current one. */
    lease: bigint({ mode: "number" }).notNull().default(0),
    idempotencyKey: text(),
    /** sha256 of the request body, to refuse a reused Idempotency-Key with a different body. */
    requestHash: text().notNull(),
    /** W3C trace context captured when the turn was accepted, so worker spans join that trace. */
    traceId: text(),
    traceParent: text(),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true, mode: "date" }),
    finishedAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("turns_session_position_key").on(t.sessionId, t.position),
    // Partial: most turns carry no key, and every index is written again when a turn changes status.
    uniqueIndex("turns_session_idempotency_key")
      .on(t.sessionId, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
    // The worker's "next turn of this session" and the reconciler's scan read only unfinished turns
    // (the reconciler reads them all: they are the backlog, not the history).
    index("turns_pending_idx")
      .on(t.sessionId, t.position)
      .where(sql`status in ('queued', 'running')`),
    check("turns_status_check", sql`status in ('queued', 'running', 'completed', 'failed', 'cancelled')`),
  ],
);

export type TurnRow = typeof turns.$inferSelect;
