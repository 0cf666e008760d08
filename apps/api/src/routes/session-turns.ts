import { limits, TurnqError } from "@turnq/core";
import { listTurns } from "@turnq/db";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { boolParam, intParam } from "../query-params.ts";
import { turnJson } from "../serialize.ts";
import { findCallerSession } from "./sessions.ts";

/**
 * GET /v1/sessions/{id}/turns: the session's turns newest first, paged by `before` (a position), or
 * with `open=true` its unfinished turns in queue order, each queued one with its `queuePosition`
 * (turns ahead of it) and `blockedBy` (the turn it waits behind: the one running, else the first queued).
 */
export function sessionTurnRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/sessions/:id/turns", async (c) => {
    const session = await findCallerSession(deps, c, c.req.param("id"));
    const open = boolParam(c.req.query("open"), "open", false);
    const limit = intParam(c.req.query("limit"), "limit", 50, 1, limits.maxPageSize);
    const before = intParam(c.req.query("before"), "before", 0, 1, 2 ** 31 - 1);
    if (open && c.req.query("before") !== undefined) throw new TurnqError("invalid_request", "before pages the full history; drop it with open=true (open turns come in one page).");
    const rows = await listTurns(deps.db, session.id, { open, beforePosition: before === 0 ? undefined : before, limit });
    const head = open ? rows[0] : undefined;
    const data = rows.map((t, i) => {
      const body = turnJson(t, deps.jaegerUiUrl);
      return open && t.status === "queued" ? { ...body, queuePosition: i, blockedBy: i > 0 ? head!.id : null } : body;
    });
    return c.json({ data, nextBefore: !open && rows.length === limit ? rows.at(-1)!.position : null });
  });
}
