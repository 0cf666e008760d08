import { limits } from "@turnq/core";
import { listMessages } from "@turnq/db";
import { Hono } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { intParam } from "../query-params.ts";
import { messageJson } from "../serialize.ts";
import { findSession } from "./sessions.ts";

export function messageRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/sessions/:id/messages", async (c) => {
    const after = intParam(c.req.query("after"), "after", 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c.req.query("limit"), "limit", 100, 1, limits.maxPageSize);
    const session = await findSession(deps, callerOf(c).tenantId, c.req.param("id"));
    const rows = await listMessages(deps.db, session.id, { after, limit });
    const data = rows.map(messageJson);
    return c.json({ data, nextAfter: rows.length === limit ? rows[rows.length - 1]!.seq : null });
  });
}
