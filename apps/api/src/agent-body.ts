import { builtinToolNames, headerProblem, toolNamePattern, TurnqError, urlProblem, type SecretBox } from "@turnq/core";
import type { AgentConfig } from "@turnq/db";
import { z } from "zod";
import { parametersProblem } from "./tool-parameters.ts";

/**
 * The body of POST/PUT /v1/agents, checked completely: whatever passes here the worker can build and
 * run (known code tools, compilable parameter schemas, URLs and headers undici will send, limits in
 * range), so an agent's turns never fail for its configuration alone.
 */
const toolName = z.string().regex(toolNamePattern, "tool names are 1-64 letters, digits, _ or -");

const builtins = new Set<string>(builtinToolNames);
const codeToolName = toolName.refine((n) => builtins.has(n), {
  message: `unknown tool; the built-in tools are ${builtinToolNames.join(", ")}; declare any other tool in httpTools`,
});

const toolUrl = z
  .url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" })
  .superRefine((url, ctx) => {
    if (!URL.canParse(url)) return; // already reported by z.url
    const problem = urlProblem(new URL(url));
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const toolHeaders = z
  .record(z.string(), z.string())
  .refine((h) => Object.keys(h).length <= 64, "at most 64 headers")
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      const problem = headerProblem(name, value);
      if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
    }
  });

const toolParameters = z
  .record(z.string(), z.json())
  .default({ type: "object", properties: {} })
  .superRefine((schema, ctx) => {
    const problem = parametersProblem(schema as Record<string, unknown>);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const httpTool = z
  .object({
    name: toolName,
    description: z.string().min(1).max(2_000),
    url: toolUrl,
    parameters: toolParameters,
    headers: toolHeaders.optional(),
    timeoutMs: z.number().int().min(100).max(300_000).optional(),
    parallelSafe: z.boolean().optional(),
    idempotent: z.boolean().optional(),
  })
  .strict();

export const agentBody = z
  .object({
    name: z.string().min(1).max(200),
    model: z.string().min(1).max(200).optional(),
    summaryModel: z.string().min(1).max(200).optional(),
    systemPrompt: z.string().max(100_000).default("You are a helpful assistant."),
    tools: z.array(codeToolName).max(64).default([]),
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

/**
 * An empty model means "the worker's LLM_MODEL"; stored as given so the agent reads back as written.
 * HTTP tool headers are sealed here, before anything stores them: Postgres holds only ciphertext.
 */
export function toConfig(body: z.infer<typeof agentBody>, box: SecretBox | undefined): AgentConfig {
  return {
    model: body.model ?? "",
    systemPrompt: body.systemPrompt,
    tools: body.tools,
    httpTools: body.httpTools.map(({ headers, ...tool }, i) => {
      if (!headers || Object.keys(headers).length === 0) return tool;
      if (!box) {
        throw new TurnqError("validation_failed", "This deployment cannot store HTTP tool headers: the operator has not set TURNQ_ENCRYPTION_KEY (see README, Tenants and keys).", {
          details: { errors: [{ path: `httpTools.${i}.headers`, message: "header secrets need TURNQ_ENCRYPTION_KEY on the API" }] },
        });
      }
      return { ...tool, headerNames: Object.keys(headers), sealedHeaders: box.seal(JSON.stringify(headers)) };
    }),
    limits: body.limits,
    summaryModel: body.summaryModel,
  };
}
