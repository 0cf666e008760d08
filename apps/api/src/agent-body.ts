import { agentRequest } from "@turnq/contract";
import type { AgentConfig } from "@turnq/db";
import type { z } from "zod";

/**
 * The body of POST/PUT /v1/agents, checked completely (packages/contract/src/agents.ts): whatever
 * passes the worker can build and run, so an agent's turns never fail for its configuration alone.
 */
export const agentBody = agentRequest;

/** An empty model means "the worker's LLM_MODEL"; stored as given so the agent reads back as written. */
export function toConfig(body: z.infer<typeof agentBody>): AgentConfig {
  return {
    model: body.model ?? "",
    systemPrompt: body.systemPrompt,
    tools: body.tools,
    httpTools: body.httpTools,
    limits: body.limits,
    summaryModel: body.summaryModel,
  };
}
