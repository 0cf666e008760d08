import { messageRoles } from "@turnq/core";
import { z } from "zod";
import { timestamp, turnId } from "./common.ts";

export const messageContent = z
  .object({
    text: z.string().optional(),
    toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).optional(),
    toolCallId: z.string().optional(),
    interrupted: z.boolean().optional().meta({ description: "Assistant text cut short by a cancel or a deadline." }),
    summary: z
      .object({ fromSeq: z.number().int(), toSeq: z.number().int() })
      .optional()
      .meta({ description: "On compaction summaries (role system): the seq range newly folded into the text." }),
  })
  .meta({ id: "MessageContent" });

export const message = z
  .object({
    seq: z.number().int().meta({ description: "Gapless per session, from 1." }),
    role: z.enum(messageRoles),
    content: messageContent,
    turnId,
    traceId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({
    id: "Message",
    examples: [
      { seq: 2, role: "assistant", content: { text: "Hello! How can I help?" }, turnId: "turn_01jd8x3m0a7b5c3d1e9f7g5h3j", traceId: null, createdAt: "2026-12-01T00:00:00.180Z" },
    ],
  });

export const messagePage = z
  .object({
    data: z.array(message),
    nextAfter: z.number().int().nullable().meta({ description: "Pass as `after` for the next page; null when this page was the last." }),
  })
  .meta({ id: "MessagePage" });

export type Message = z.infer<typeof message>;
export type MessagePage = z.infer<typeof messagePage>;
