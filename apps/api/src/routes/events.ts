import { isId, isTerminal, TurnqError, type TurnStatus } from "@turnq/core";
import { getTurn, listMessages, type TurnRow } from "@turnq/db";
import { Hono, type Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { parseEventCursor } from "../event-cursor.ts";
import { messageJson, turnJson } from "../serialize.ts";
import { findSession } from "./sessions.ts";
import { header } from "../node-request.ts";

/**
 * How long after a turn's final commit its closing events may still be on their way to the live
 * stream (the worker's settle follows the commit; milliseconds unless it died in between, when the
 * keep-alive's check ends the stream from Postgres).
 */
const SETTLE_GRACE_MS = 5_000;

/**
 * Server-Sent Events for a session or one turn. Resuming with Last-Event-ID continues right after
 * that event, no gap and no repeat, while the live stream still holds it (an hour, up to 5,000 entries
 * a session). When it no longer does, the server sends `event: gap`, then replays the log's messages
 * after the seq carried in the id as `message` events (durable facts are kept at any age; deltas of
 * that time are not), then continues live. A turn's stream ends after its final status.
 */
export function eventRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .get("/v1/sessions/:id/events", async (c) => {
      const session = await findSession(deps, callerOf(c).tenantId, c.req.param("id"));
      return stream(c, deps, session.id, undefined);
    })
    .get("/v1/turns/:id/events", async (c) => {
      const id = c.req.param("id");
      const turn = isId("turn", id) ? await getTurn(deps.db, id, callerOf(c).tenantId) : undefined;
      if (!turn) throw new TurnqError("not_found", `Turn ${id} does not exist.`);
      return stream(c, deps, turn.sessionId, turn.id);
    });
}

function stream(c: Context<AppEnv>, deps: ApiDeps, sessionId: string, turnId: string | undefined) {
  let { cursor, seq } = parseEventCursor(header(c, "last-event-id") ?? c.req.query("after"));
  c.header("x-accel-buffering", "no");
  return streamSSE(c, async (sse) => {
    const done = new AbortController();
    sse.onAbort(() => done.abort());
    /** Ends a turn's stream with its final status from Postgres, once the live stream will not bring it. */
    const finalFromDb = async (opts: { settledOnly?: boolean } = {}): Promise<boolean> => {
      const turn = turnId ? await getTurn(deps.db, turnId) : undefined;
      if (!turn || !isTerminal(turn.status)) return false;
      // Just finished: its closing events (and, if nobody followed it, its running status and text)
      // are written to the stream right after that commit; read them there.
      if (opts.settledOnly && turn.finishedAt && Date.now() - turn.finishedAt.getTime() < SETTLE_GRACE_MS) return false;
      await sse.writeSSE({ id: `${cursor}~${seq}`, event: "turn.status", data: JSON.stringify(finalStatusEvent(turn)) });
      done.abort();
      return true;
    };
    if (cursor !== "0" && (await deps.events.missed(sessionId, cursor))) {
      await sse.writeSSE({ event: "gap", data: JSON.stringify({ afterSeq: seq }) });
      cursor = await deps.events.tailId(sessionId);
      seq = await replayLog(sse, deps, sessionId, turnId, seq, cursor);
    }
    if (turnId && (await deps.events.isEmpty(sessionId)) && (await finalFromDb({ settledOnly: true }))) return;
    await deps.events.follow(
      sessionId,
      cursor,
      async (events) => {
        for (const e of events) {
          cursor = e.id;
          if (e.seq !== undefined) seq = Math.max(seq, e.seq);
          if (turnId && e.turnId !== turnId) continue;
          const parsed = JSON.parse(e.data) as { type: string; status?: TurnStatus };
          await sse.writeSSE({ id: `${e.id}~${seq}`, event: parsed.type, data: JSON.stringify({ turnId: e.turnId, ...parsed }) });
          if (turnId && parsed.type === "turn.status" && parsed.status !== undefined && isTerminal(parsed.status)) done.abort();
        }
      },
      done.signal,
      async () => {
        await sse.write(": keep-alive\n\n");
        if (turnId) await finalFromDb();
      },
    );
  });
}

/** Sends the log's messages after `afterSeq` as `message` events; returns the newest seq sent. */
async function replayLog(
  sse: SSEStreamingApi,
  deps: ApiDeps,
  sessionId: string,
  turnId: string | undefined,
  afterSeq: number,
  cursor: string,
): Promise<number> {
  let seq = afterSeq;
  for (;;) {
    const rows = await listMessages(deps.db, sessionId, { after: seq, limit: 500 });
    for (const r of rows) {
      seq = r.seq;
      if (turnId && r.turnId !== turnId) continue;
      await sse.writeSSE({ id: `${cursor}~${seq}`, event: "message", data: JSON.stringify({ type: "message", ...messageJson(r) }) });
    }
    if (rows.length < 500) return seq;
  }
}

/** The same shape as the live final status (TurnStatusEvent), read from the turn row. */
function finalStatusEvent(turn: TurnRow) {
  const { error } = turnJson(turn);
  return { type: "turn.status", turnId: turn.id, status: turn.status, ...(error ? { error } : {}) };
}
