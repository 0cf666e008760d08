import { createSessionRequest } from "@turnq/contract";
import { isId, limits, TurnqError } from "@turnq/core";
import { agentExists, createSession, getSession, listSessions } from "@turnq/db";
import { Hono, type Context } from "hono";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { boolParam, intParam, textParam } from "../query-params.ts";
import { sessionJson, sessionListJson } from "../serialize.ts";
import { validate } from "../validate.ts";

export function sessionRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .post("/v1/sessions", jsonBody(limits.requestBodyBytes), async (c) => {
      const body = validate(createSessionRequest, c.get("body"));
      const { tenantId } = callerOf(c);
      // Another tenant's agent is as unknown as one that never existed.
      if (body.agentId !== undefined && !(isId("agent", body.agentId) && (await agentExists(deps.db, body.agentId, tenantId)))) {
        throw new TurnqError("validation_failed", `Agent ${body.agentId} does not exist; create it with POST /v1/agents.`, {
          details: { errors: [{ path: "agentId", message: "unknown agent" }] },
        });
      }
      const session = await createSession(deps.db, {
        metadata: (body.metadata ?? {}) as Record<string, unknown>,
        tenantId,
        agentId: body.agentId,
        tokenBudget: body.tokenBudget,
      });
      c.header("location", `/v1/sessions/${session.id}`);
      return c.json(sessionJson(session), 201);
    })
    // The caller's sessions, newest first; `before` is the previous page's `nextBefore`.
    .get("/v1/sessions", async (c) => {
      const before = textParam(c.req.query("before"), "before", 40);
      if (before !== undefined && !isId("session", before)) throw new TurnqError("invalid_request", "before must be a session id (a page's nextBefore).");
      const limit = intParam(c.req.query("limit"), "limit", 50, 1, limits.maxPageSize);
      const rows = await listSessions(deps.db, {
        tenantId: callerOf(c).tenantId,
        before,
        agentId: textParam(c.req.query("agentId"), "agentId", 40),
        q: textParam(c.req.query("q"), "q"),
        active: boolParam(c.req.query("active"), "active", false),
        limit,
      });
      return c.json({ data: rows.map(sessionListJson), nextBefore: rows.length === limit ? rows.at(-1)!.id : null });
    })
    .get("/v1/sessions/:id", async (c) => {
      const session = await findSession(deps, callerOf(c).tenantId, c.req.param("id"));
      return c.json(sessionJson(session));
    });
}

/** The caller's session; another tenant's is "not found", word for word as one that never existed. */
export async function findSession(deps: ApiDeps, tenantId: string, id: string) {
  const session = isId("session", id) ? await getSession(deps.db, id, tenantId) : undefined;
  if (!session) throw new TurnqError("not_found", `Session ${id} does not exist; create one with POST /v1/sessions.`);
  return session;
}

/** The session, when it exists and belongs to the caller's tenant (else 404, never a 403 that confirms it exists). */
export async function findCallerSession(deps: ApiDeps, c: Context, id: string) {
  return findSession(deps, callerOf(c).tenantId, id);
}
