import { isId, isTerminal, limits, TurnqError } from "@turnq/core";
import { getTurn, queuePosition, reviveTurnRow, type TurnRow } from "@turnq/db";
import { Hono } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { turnJson } from "../serialize.ts";
import { clientGone, header } from "../node-request.ts";

/** A safety net under pub/sub: even a lost notification delays an answer by at most this long. */
const recheckMs = 5_000;

export function getTurnRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/turns/:id", async (c) => {
    const id = c.req.param("id");
    if (!isId("turn", id)) throw notFound(id);
    const waitSeconds = parseWait(header(c, "prefer"));
    // Listen before reading: a turn that finishes between the read and the wait is not missed.
    const watch = waitSeconds > 0 ? deps.watcher.watch(id) : undefined;
    try {
      let turn = await getTurn(deps.db, id, callerOf(c).tenantId);
      if (!turn) throw notFound(id);
      if (watch && !isTerminal(turn.status)) {
        turn = await waitForTerminal(deps, turn, watch, waitSeconds * 1_000, clientGone(c));
        c.header("preference-applied", `wait=${waitSeconds}`);
      }
      const body = turnJson(turn, deps.jaegerUiUrl);
      if (turn.status === "queued") return c.json({ ...body, queuePosition: await queuePosition(deps.db, turn) });
      return c.json(body);
    } finally {
      watch?.close();
    }
  });
}

function notFound(id: string): TurnqError {
  return new TurnqError("not_found", `Turn ${id} does not exist; use the id returned by POST /v1/sessions/{id}/turns.`);
}

/**
 * Waits for the turn's final-status notification (Redis pub/sub), holding no database connection;
 * the notification carries the turn, so answering needs no read. Only the periodic safety re-check
 * (or a notification without the turn) reads Postgres.
 */
export async function waitForTerminal(
  deps: ApiDeps,
  first: TurnRow,
  watch: ReturnType<ApiDeps["watcher"]["watch"]>,
  ms: number,
  signal: AbortSignal,
): Promise<TurnRow> {
  const deadline = Date.now() + ms;
  let turn = first;
  while (!isTerminal(turn.status) && !signal.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const done = await watch.next(Math.min(left, recheckMs));
    if (done?.turn !== undefined) return reviveTurnRow(done.turn);
    turn = (await getTurn(deps.db, first.id, first.tenantId)) ?? turn;
  }
  return turn;
}

/** `Prefer: wait=N` (RFC 7240), N seconds capped at 60; anything else means no waiting. */
export function parseWait(prefer: string | undefined): number {
  if (!prefer) return 0;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer);
  if (!m) return 0;
  return Math.min(Number(m[1]), limits.maxWaitSeconds);
}
