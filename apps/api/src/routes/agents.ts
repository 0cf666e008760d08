import type { Agent, JsonValue } from "@turnq/contract";
import { isId, limits, TurnqError } from "@turnq/core";
import { addAgentVersion, agentVersions, createAgent, getAgent, listAgents, type AgentRow } from "@turnq/db";
import { Hono } from "hono";
import { agentBody, toConfig } from "../agent-body.ts";
import { callerOf } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { intParam, textParam } from "../query-params.ts";
import { validate } from "../validate.ts";

/** Header values of HTTP tools are secrets: the API shows which headers are set, never their values. */
export function agentJson(a: AgentRow): Agent {
  const c = a.config;
  return {
    id: a.id,
    version: a.version,
    name: a.name,
    model: c.model || null,
    summaryModel: c.summaryModel ?? null,
    systemPrompt: c.systemPrompt,
    tools: c.tools,
    httpTools: c.httpTools.map(({ headers, sealedHeaders: _sealed, headerNames, ...t }) => ({ ...t, parameters: t.parameters as Record<string, JsonValue>, headerNames: headerNames ?? Object.keys(headers ?? {}) })),
    limits: c.limits,
    createdAt: a.createdAt.toISOString(),
  };
}

export function agentRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .post("/v1/agents", jsonBody(limits.agentBodyBytes), async (c) => {
      const body = validate(agentBody, c.get("body"));
      const agent = await createAgent(deps.db, { tenantId: callerOf(c).tenantId, name: body.name, config: toConfig(body, deps.secrets) });
      c.header("location", `/v1/agents/${agent.id}`);
      return c.json(agentJson(agent), 201);
    })
    .put("/v1/agents/:id", jsonBody(limits.agentBodyBytes), async (c) => {
      const id = c.req.param("id");
      if (!isId("agent", id)) throw notFound(id);
      const body = validate(agentBody, c.get("body"));
      return c.json(agentJson(await addAgentVersion(deps.db, id, { tenantId: callerOf(c).tenantId, name: body.name, config: toConfig(body, deps.secrets) })));
    })
    // Latest version of each agent, newest first; `before` is the previous page's `nextBefore`.
    .get("/v1/agents", async (c) => {
      const before = textParam(c.req.query("before"), "before", 40);
      if (before !== undefined && !isId("agent", before)) throw new TurnqError("invalid_request", "before must be an agent id (a page's nextBefore).");
      const limit = intParam(c.req.query("limit"), "limit", 50, 1, limits.maxPageSize);
      const rows = await listAgents(deps.db, { tenantId: callerOf(c).tenantId, before, limit });
      return c.json({ data: rows.map(agentJson), nextBefore: rows.length === limit ? rows.at(-1)!.id : null });
    })
    .get("/v1/agents/:id/versions", async (c) => {
      const id = c.req.param("id");
      const rows = isId("agent", id) ? await agentVersions(deps.db, id, callerOf(c).tenantId) : [];
      if (rows.length === 0) throw notFound(id);
      return c.json({ data: rows.map(agentJson) });
    })
    .get("/v1/agents/:id", async (c) => {
      const id = c.req.param("id");
      const v = c.req.query("version");
      if (v !== undefined && !/^\d{1,9}$/.test(v)) throw new TurnqError("invalid_request", "version must be a positive integer.");
      const agent = isId("agent", id) ? await getAgent(deps.db, id, { tenantId: callerOf(c).tenantId, version: v === undefined ? undefined : Number(v) }) : undefined;
      if (!agent) throw notFound(id);
      return c.json(agentJson(agent));
    });
}

function notFound(id: string): TurnqError {
  return new TurnqError("not_found", `Agent ${id} does not exist; create it with POST /v1/agents.`);
}
