import { turnStatuses } from "@turnq/core";
import { z } from "zod";
import { errorCode, sessionId, timestamp, turnId } from "./common.ts";

export const submitTurnRequest = z
  .object({
    input: z.string().refine((s) => s.trim().length > 0, "input must not be empty").meta({ description: "The user's message (at most 256 KiB of UTF-8)." }),
    onBusy: z
      .enum(["enqueue", "reject", "interrupt"])
      .default("enqueue")
      .meta({ description: "When the session has a turn queued or running: wait behind it (FIFO), answer 409 session_busy, or cancel it and run this one." }),
  })
  .strict()
  .meta({ id: "SubmitTurnRequest", examples: [{ input: "Hello!" }, { input: "Stop that, answer this instead.", onBusy: "interrupt" }] });

export const turnStatus = z.enum(turnStatuses).meta({ id: "TurnStatus", description: "queued → running → completed | failed | cancelled" });

export const turnError = z
  .object({ code: errorCode, message: z.string().nullable() })
  .meta({ id: "TurnError", description: "Why a failed or cancelled turn ended." });

export const turnUsage = z
  .object({
    inputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number().meta({ description: "From the worker's LLM_PRICES; 0 when the model has no price configured." }),
  })
  .meta({ id: "TurnUsage" });

export const turn = z
  .object({
    id: turnId,
    sessionId,
    position: z.number().int().meta({ description: "The turn's place in its session (1, 2, …)." }),
    status: turnStatus,
    input: z.string(),
    output: z.string().nullable().meta({ description: "The assistant's final text once completed." }),
    error: turnError.nullable(),
    attempts: z.number().int(),
    crashes: z.number().int().meta({ description: "Runs cut short because the worker holding the turn died." }),
    agentVersion: z.number().int().nullable(),
    usage: turnUsage,
    cancelRequested: z.boolean(),
    traceId: z.string().nullable(),
    traceUrl: z.string().optional().meta({ description: "The trace in Jaeger, when the API has JAEGER_UI_URL." }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    queuePosition: z
      .number()
      .int()
      .optional()
      .meta({ description: "GET /v1/turns/{id} of a queued turn: how many of its session's turns run before it (0: next)." }),
    blockedBy: turnId
      .nullable()
      .optional()
      .meta({ description: "GET /v1/sessions/{id}/turns?open=true, a queued turn: the turn it waits behind (null: none)." }),
  })
  .meta({
    id: "Turn",
    examples: [
      {
        id: "turn_01jd8x3m0a7b5c3d1e9f7g5h3j",
        sessionId: "ses_01jd8x3k6v2w4q9r7t5m3n1p0z",
        position: 1,
        status: "completed",
        input: "Hello!",
        output: "Hello! How can I help?",
        error: null,
        attempts: 1,
        crashes: 0,
        agentVersion: null,
        usage: { inputTokens: 12, cachedInputTokens: 0, outputTokens: 7, costUsd: 0 },
        cancelRequested: false,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        createdAt: "2026-12-01T00:00:00.000Z",
        startedAt: "2026-12-01T00:00:00.004Z",
        finishedAt: "2026-12-01T00:00:00.180Z",
      },
    ],
  });

export type SubmitTurnRequest = z.input<typeof submitTurnRequest>;
export type Turn = z.infer<typeof turn>;
export type TurnStatus = z.infer<typeof turnStatus>;
export type TurnError = z.infer<typeof turnError>;
