import { limits } from "@turnq/core";
import { z } from "zod";
import { agentId, jsonValue, sessionId, timestamp } from "./common.ts";

export const createSessionRequest = z
  .object({
    metadata: z
      .record(z.string().max(200), jsonValue)
      .refine((m) => JSON.stringify(m).length <= limits.metadataBytes, `metadata must serialise to at most ${limits.metadataBytes} bytes`)
      .optional()
      .meta({ description: `Your own key/value data, at most ${limits.metadataBytes} bytes serialised.` }),
    agentId: z.string().optional().meta({ description: "The agent this session talks to (its latest version at each turn); omitted: the deployment's default." }),
    tokenBudget: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "Tokens (input + output) the session may spend; further LLM calls fail with token_budget_exhausted." }),
  })
  .strict()
  .meta({ id: "CreateSessionRequest", examples: [{ metadata: { user: "u_42" } }, {}] });

export const session = z
  .object({
    id: sessionId,
    agentId: agentId.nullable(),
    metadata: z.record(z.string(), jsonValue),
    tokenBudget: z.number().int().nullable(),
    tokensUsed: z.number().int(),
    costUsd: z.number().meta({ description: "Sum of its turns' cost, from the workers' LLM_PRICES." }),
    lastSeq: z.number().int().min(0).meta({ description: "The newest log entry's seq (0: empty); seq is gapless from 1, so the log pages by seq ranges." }),
    createdAt: timestamp,
  })
  .meta({
    id: "Session",
    examples: [
      {
        id: "ses_01jd8x3k6v2w4q9r7t5m3n1p0z",
        agentId: null,
        metadata: { user: "u_42" },
        tokenBudget: null,
        tokensUsed: 0,
        costUsd: 0,
        lastSeq: 0,
        createdAt: "2026-12-01T00:00:00.000Z",
      },
    ],
  });

export type CreateSessionRequest = z.input<typeof createSessionRequest>;
export type Session = z.infer<typeof session>;
