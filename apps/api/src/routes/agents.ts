import { isId, TurnqError } from "@turnq/core";
import { addAgentVersion, createAgent, getAgent, type AgentConfig, type AgentRow } from "@turnq/db";
import { Hono } from "hono";
import { z } from "zod";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { validate } from "../validate.ts";

const toolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, _ or -");

const httpTool = z
  .object({
    name: toolName,
    description: z.string().min(1).max(2_000),
    url: z.url({ protocol: /^https?$/, error: "url must be http(s)" }),
    parameters: z.record(z.string(), z.json()).default({ type: "object", properties: {} }),
    headers: z.record(z.string().max(200), z.string().max(4_000)).optional(),
    timeoutMs: z.number().int().min(100).max(300_000).optional(),
    parallelSafe: z.boolean().optional(),
    idempotent: z.boolean().optional(),
  })
  .strict();

const agentBody = z
  .object({
    name: z.string().min(1).max(200),
    model: z.string().min(1).max(200).optional(),
    summaryModel: z.string().min(1).max(200).optional(),
    systemPrompt: z.string().max(100_000).default("You are a helpful assistant."),
    tools: z.array(toolName).max(64).default([]),
    httpTools: z.array(httpTool).max(64).default([]),
    limits: z
      .object({
        maxIterations: z.number().int().min(1).max(100).default(8),
        maxToolCalls: z.number().int().min(0).max(1_000).default(32),
        turnDeadlineMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
        maxOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .default({ maxIterations: 8, maxToolCalls: 32, turnDeadlineMs: 300_000 }),
  })
  .strict()
  .refine((a) => new Set([...a.tools, ...a.httpTools.map((t) => t.name)]).size === a.tools.length + a.httpTools.length, {
    message: "tool names must be unique across tools and httpTools",
  });

/** An empty model means "the worker's LLM_MODEL"; stored as given so the agent reads back as written. */
function toConfig(body: z.infer<typeof agentBody>): AgentConfig {
  return {
    model: body.model ?? "",
    systemPrompt: body.systemPrompt,
    tools: body.tools,
    httpTools: body.httpTools,
    limits: body.limits,
    summaryModel: body.summaryModel,
  };
}

/** Header values of HTTP tools are secrets: the API shows which headers are set, never their values. */
export function agentJson(a: AgentRow) {
  const c = a.config;
  return {
    id: a.id,
    version: a.version,
    name: a.name,
    model: c.model || null,
    summaryModel: c.summaryModel ?? null,
    systemPrompt: c.systemPrompt,
    tools: c.tools,
    httpTools: c.httpTools.map(({ headers, ...t }) => ({ ...t, headerNames: Object.keys(headers ?? {}) })),
    limits: c.limits,
    createdAt: a.createdAt.toISOString(),
  };
}

export function agentRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .post("/v1/agents", jsonBody(512 * 1024), async (c) => {
      const body = validate(agentBody, c.get("body"));
      const agent = await createAgent(deps.db, { name: body.name, config: toConfig(body) });
      c.header("location", `/v1/agents/${agent.id}`);
      return c.json(agentJson(agent), 201);
    })
    .put("/v1/agents/:id", jsonBody(512 * 1024), async (c) => {
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
