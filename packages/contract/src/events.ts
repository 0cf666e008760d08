import { messageRoles } from "@turnq/core";
import { z } from "zod";
import { timestamp, turnId } from "./common.ts";
import { messageContent } from "./messages.ts";
import { turnError, turnStatus } from "./turns.ts";

/**
 * The Server-Sent Events of GET /v1/sessions/{id}/events and GET /v1/turns/{id}/events. Each SSE
 * `event:` field is the `type` of its JSON `data`; each `id:` (except gap's) is `<stream id>~<seq>`
 * (or `<stream id>.<k>~<seq>` inside an entry that holds several events), to send back as Last-Event-ID. Durable facts are `message` (a log entry, with its gapless `seq`) and
 * the final `turn.status`; the others are live progress.
 */
export const turnStatusEvent = z
  .object({ type: z.literal("turn.status"), turnId, status: turnStatus, error: turnError.nullable().optional() })
  .meta({ id: "TurnStatusEvent", description: "The turn changed status; a turn's stream ends after its final one." });

export const messageDeltaEvent = z
  .object({ type: z.literal("message.delta"), turnId, text: z.string() })
  .meta({ id: "MessageDeltaEvent", description: "Text as the model streams it (not kept after an hour; its `message` replaces it)." });

export const messageEvent = z
  .object({
    type: z.literal("message"),
    turnId,
    seq: z.number().int(),
    role: z.enum(messageRoles),
    content: messageContent,
    traceId: z.string().nullable().optional(),
    createdAt: timestamp.optional(),
  })
  .meta({ id: "MessageEvent", description: "A durable log entry; `seq` is gapless per session." });

export const toolStartedEvent = z
  .object({ type: z.literal("tool.started"), turnId, callId: z.string(), name: z.string() })
  .meta({ id: "ToolStartedEvent" });

export const toolFinishedEvent = z
  .object({ type: z.literal("tool.finished"), turnId, callId: z.string(), name: z.string(), ok: z.boolean(), durationMs: z.number() })
  .meta({ id: "ToolFinishedEvent" });

export const gapEvent = z
  .object({ afterSeq: z.number().int() })
  .meta({
    id: "GapEvent",
    description: "Sent (without an id) when the live stream no longer holds the event resumed from: the log's messages after `afterSeq` follow as `message` events, then the live stream.",
  });

export const streamEvent = z
  .discriminatedUnion("type", [turnStatusEvent, messageDeltaEvent, messageEvent, toolStartedEvent, toolFinishedEvent])
  .meta({ id: "StreamEvent", description: "The data of every SSE event but `gap`; its `type` is also the SSE event name." });

/** Every SSE event name and the schema of its data. */
export const sseEvents = {
  "turn.status": turnStatusEvent,
  "message.delta": messageDeltaEvent,
  message: messageEvent,
  "tool.started": toolStartedEvent,
  "tool.finished": toolFinishedEvent,
  gap: gapEvent,
} as const;

export type StreamEvent = z.infer<typeof streamEvent>;
export type GapEvent = z.infer<typeof gapEvent>;
