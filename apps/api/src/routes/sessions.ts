import { createSessionRequest } from "@turnq/contract";
import { isId, limits, TurnqError } from "@turnq/core";
import { agentExists, createSession, getSession } from "@turnq/db";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { sessionJson } from "../serialize.ts";
import { validate } from "../validate.ts";

export function sessionRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .post("/v1/sessions", jsonBody(limits.requestBodyBytes), async (c) => {
      const body = validate(createSessionRequest, c.get("body"));
      if (body.agentId !== undefined && !(isId("agent", body.agentId) && (await agentExists(deps.db, body.agentId)))) {
        throw new TurnqError("validation_failed", `Agent ${body.agentId} does not exist; create it with POST /v1/agents.`, {
          details: { errors: [{ path: "agentId", message: "unknown agent" }] },
        });
      }
      const session = await createSession(deps.db, {
        metadata: (body.metadata ?? {}) as Record<string, unknown>,
        agentId: body.agentId,
        tokenBudget: body.tokenBudget,
      });
      c.header("location", `/v1/sessions/${session.id}`);
      return c.json(sessionJson(session), 201);
    })
    .get("/v1/sessions/:id", async (c) => {
      const session = await findSession(deps, c.req.param("id"));
      return c.json(sessionJson(session));
    });
}

export async function findSession(deps: ApiDeps, id: string) {
  const session = isId("session", id) ? await getSession(deps.db, id) : undefined;
  if (!session) throw new TurnqError("not_found", `Session ${id} does not exist; create one with POST /v1/sessions.`);
  return session;
}
