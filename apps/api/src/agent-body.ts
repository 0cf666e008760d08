import { agentRequest } from "@turnq/contract";
import { TurnqError, type SecretBox } from "@turnq/core";
import type { AgentConfig } from "@turnq/db";
import type { z } from "zod";

/**
 * The body of POST/PUT /v1/agents, checked completely (packages/contract/src/agents.ts): whatever
 * passes the worker can build and run, so an agent's turns never fail for its configuration alone.
 */
export const agentBody = agentRequest;

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
