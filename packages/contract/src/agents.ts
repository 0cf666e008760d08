import { builtinToolNames, DEFAULT_AGENT_LIMITS, DEFAULT_SYSTEM_PROMPT, headerProblem, toolNamePattern, urlProblem } from "@turnq/core";
import { z } from "zod";
import { agentId, jsonValue, timestamp } from "./common.ts";
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
  .record(z.string(), jsonValue)
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
  .strict()
  .meta({ id: "HttpToolDeclaration", description: "A tool the worker calls by POSTing the arguments as JSON to `url`; header values are secrets, never returned." });

export const agentRequest = z
  .object({
    name: z.string().min(1).max(200),
    model: z.string().min(1).max(200).optional(),
    summaryModel: z.string().min(1).max(200).optional(),
    systemPrompt: z.string().max(100_000).default(DEFAULT_SYSTEM_PROMPT),
    tools: z.array(codeToolName).max(64).default([]),
    httpTools: z.array(httpTool).max(64).default([]),
    limits: z
      .object({
        maxIterations: z.number().int().min(1).max(100).default(DEFAULT_AGENT_LIMITS.maxIterations),
        maxToolCalls: z.number().int().min(0).max(1_000).default(DEFAULT_AGENT_LIMITS.maxToolCalls),
        turnDeadlineMs: z.number().int().min(1_000).max(3_600_000).default(DEFAULT_AGENT_LIMITS.turnDeadlineMs),
        maxOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .default({ ...DEFAULT_AGENT_LIMITS }),
  })
  .strict()
  .refine((a) => new Set([...a.tools, ...a.httpTools.map((t) => t.name)]).size === a.tools.length + a.httpTools.length, {
    message: "tool names must be unique across tools and httpTools",
  })
  .meta({
    id: "AgentRequest",
    description: "A whole agent definition: POST creates version 1, PUT adds the next version.",
    examples: [
      {
        name: "clock",
        systemPrompt: "Answer briefly.",
        tools: ["current_time"],
        httpTools: [
          {
            name: "weather",
            description: "Weather for a city",
            url: "https://example.com/weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            headers: { authorization: "Bearer your-token" },
            parallelSafe: true,
          },
        ],
        limits: { maxIterations: 8, maxToolCalls: 32, turnDeadlineMs: 120000 },
      },
    ],
  });

export const agent = z
  .object({
    id: agentId,
    version: z.number().int(),
    name: z.string(),
    model: z.string().nullable().meta({ description: "null: the worker's LLM_MODEL." }),
    summaryModel: z.string().nullable(),
    systemPrompt: z.string(),
    tools: z.array(z.string()),
    httpTools: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        url: z.string(),
        parameters: z.record(z.string(), jsonValue),
        headerNames: z.array(z.string()).meta({ description: "Which headers are set; their values are never returned." }),
        timeoutMs: z.number().int().optional(),
        parallelSafe: z.boolean().optional(),
        idempotent: z.boolean().optional(),
      }),
    ),
    limits: z.object({
      maxIterations: z.number().int(),
      maxToolCalls: z.number().int(),
      turnDeadlineMs: z.number().int(),
      maxOutputTokens: z.number().int().optional(),
    }),
    createdAt: timestamp,
  })
  .meta({
    id: "Agent",
    examples: [
      {
        id: "agt_01jd8x2z9y8x7w6v5t4s3r2q1p",
        version: 1,
        name: "clock",
        model: null,
        summaryModel: null,
        systemPrompt: "Answer briefly.",
        tools: ["current_time"],
        httpTools: [],
        limits: { maxIterations: 8, maxToolCalls: 32, turnDeadlineMs: 120000 },
        createdAt: "2026-12-01T00:00:00.000Z",
      },
    ],
  });

export type AgentRequest = z.input<typeof agentRequest>;
export type Agent = z.infer<typeof agent>;

