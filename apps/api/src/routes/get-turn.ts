import { isId, isTerminal, limits, TurnqError } from "@turnq/core";
import { getTurn, queuePosition, type TurnRow } from "@turnq/db";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { turnJson } from "../serialize.ts";

/** A safety net under pub/sub: even a lost notification delays an answer by at most this long. */
const recheckMs = 5_000;

export function getTurnRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/turns/:id", async (c) => {
    const id = c.req.param("id");
    const waitSeconds = parseWait(c.req.header("prefer"));
    let turn = await load(deps, id);
    if (waitSeconds > 0 && !isTerminal(turn.status)) {
      turn = await waitForTerminal(deps, turn, waitSeconds * 1_000, c.req.raw.signal);
      c.header("preference-applied", `wait=${waitSeconds}`);
    }
    const body = turnJson(turn, deps.jaegerUiUrl);
    if (turn.status === "queued") return c.json({ ...body, queuePosition: await queuePosition(deps.db, turn) });
    return c.json(body);
  });
}

async function load(deps: ApiDeps, id: string): Promise<TurnRow> {
  const turn = isId("turn", id) ? await getTurn(deps.db, id) : undefined;
  if (!turn) throw new TurnqError("not_found", `Turn ${id} does not exist; use the id returned by POST /v1/sessions/{id}/turns.`);
  return turn;
}

/**
 * Waits on the turn's change notifications (Redis pub/sub), holding no database connection while
 * it waits; a final-status notification (or the periodic safety re-check) costs one read.
 */
async function waitForTerminal(deps: ApiDeps, first: TurnRow, ms: number, signal: AbortSignal): Promise<TurnRow> {
  const deadline = Date.now() + ms;
  const watch = await deps.watcher.watch(first.id);
  try {
    let turn = (await getTurn(deps.db, first.id)) ?? first;
    while (!isTerminal(turn.status) && !signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const said = await watch.next(Math.min(left, recheckMs));
      // "running" and "queued" notifications change nothing a waiter returns; skip the read.
      if (said === "running" || said === "queued") continue;
      turn = (await getTurn(deps.db, first.id)) ?? turn;
    }
    return turn;
  } finally {
    await watch.close();
  }
}

/** `Prefer: wait=N` (RFC 7240), N seconds capped at 60; anything else means no waiting. */
export function parseWait(prefer: string | undefined): number {
  if (!prefer) return 0;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer);
  if (!m) return 0;
  return Math.min(Number(m[1]), limits.maxWaitSeconds);
}
