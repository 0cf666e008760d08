import type { Agent, JsonValue } from "@turnq/contract";
import { isId, limits, TurnqError } from "@turnq/core";
import { addAgentVersion, createAgent, getAgent, type AgentRow } from "@turnq/db";
import { Hono } from "hono";
import { agentBody, toConfig } from "../agent-body.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
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
    httpTools: c.httpTools.map(({ headers, ...t }) => ({ ...t, parameters: t.parameters as Record<string, JsonValue>, headerNames: Object.keys(headers ?? {}) })),
    limits: c.limits,
    createdAt: a.createdAt.toISOString(),
  };
}

export function agentRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .post("/v1/agents", jsonBody(limits.agentBodyBytes), async (c) => {
      const body = validate(agentBody, c.get("body"));
      const agent = await createAgent(deps.db, { name: body.name, config: toConfig(body) });
      c.header("location", `/v1/agents/${agent.id}`);
      return c.json(agentJson(agent), 201);
    })
    .put("/v1/agents/:id", jsonBody(limits.agentBodyBytes), async (c) => {
      const id = c.req.param("id");
      if (!isId("agent", id)) throw notFound(id);
      const body = validate(agentBody, c.get("body"));
      return c.json(agentJson(await addAgentVersion(deps.db, id, { name: body.name, config: toConfig(body) })));
    })
    .get("/v1/agents/:id", async (c) => {
      const id = c.req.param("id");
      const v = c.req.query("version");
      if (v !== undefined && !/^\d{1,9}$/.test(v)) throw new TurnqError("invalid_request", "version must be a positive integer.");
      const agent = isId("agent", id) ? await getAgent(deps.db, id, v === undefined ? undefined : Number(v)) : undefined;
      if (!agent) throw notFound(id);
      return c.json(agentJson(agent));
    });
}

function notFound(id: string): TurnqError {
  return new TurnqError("not_found", `Agent ${id} does not exist; create it with POST /v1/agents.`);
}
