import { z } from "zod";
import { describeIssues } from "./issues.ts";
import { textOfParts, truncateToolResult, type Conversation } from "./conversation.ts";
import type { ParseResult } from "./dialect.ts";

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.null(), z.array(textPart)]).optional();

const message = z.looseObject({
  role: z.string(),
  content,
  tool_calls: z
    .array(z.looseObject({ function: z.looseObject({ name: z.string(), arguments: z.string().optional() }) }))
    .nullish(),
  tool_call_id: z.string().optional(),
});

const requestSchema = z.looseObject({
  model: z.string().default("turnq-sim"),
  messages: z.array(message).min(1, "messages must not be empty"),
  tools: z.array(z.unknown()).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});

type OpenAiMessage = z.infer<typeof message>;

export function parseOpenAiRequest(body: unknown): ParseResult {
  const result = requestSchema.safeParse(body);
  if (!result.success) return { ok: false, message: describeIssues(result.error) };
  const req = result.data;
  const raw = body as { messages: unknown[] };
  return {
    ok: true,
    request: {
      model: req.model,
      stream: req.stream === true,
      includeUsage: req.stream_options?.include_usage === true,
      messages: raw.messages,
      tools: req.tools ?? undefined,
      maxOutputTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
      conversation: openAiConversation(req.messages),
    },
  };
}

function textOf(m: OpenAiMessage): string {
  if (typeof m.content === "string") return m.content;
  if (Array.isArray(m.content)) return textOfParts(m.content);
  return "";
}

function openAiConversation(messages: OpenAiMessage[]): Conversation {
  let firstTrailingTool = messages.length;
  while (firstTrailingTool > 0 && messages[firstTrailingTool - 1]?.role === "tool") firstTrailingTool--;
  const lastUser = messages.findLast((m) => m.role === "user");
  const promptChars = messages.reduce((sum, m) => {
    const calls = (m.tool_calls ?? []).reduce((s, c) => s + c.function.name.length + (c.function.arguments ?? "").length, 0);
    return sum + textOf(m).length + calls;
  }, 0);
  return {
    lastUserText: lastUser === undefined ? "" : textOf(lastUser),
    messageCount: messages.length,
    toolResults:
      firstTrailingTool < messages.length
        ? messages.slice(firstTrailingTool).map((m) => truncateToolResult(textOf(m)))
        : undefined,
    promptChars,
    identity: JSON.stringify(messages),
  };
}
