import { z } from "zod";
import { describeIssues } from "./issues.ts";
import { textOfParts, truncateToolResult, type Conversation } from "./conversation.ts";
import type { ParseResult } from "./dialect.ts";

const textBlock = z.looseObject({ type: z.string(), text: z.string().optional() });

const block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  input: z.unknown().optional(),
  content: z.union([z.string(), z.array(textBlock)]).optional(),
});

const message = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(block)]),
});

const requestSchema = z.looseObject({
  model: z.string().default("turnq-sim"),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  messages: z.array(message).min(1, "messages must not be empty"),
  tools: z.array(z.unknown()).optional(),
  stream: z.boolean().nullish(),
  max_tokens: z.number().int().positive().optional(),
});

type AnthropicMessage = z.infer<typeof message>;
type Block = z.infer<typeof block>;

export function parseAnthropicRequest(body: unknown): ParseResult {
  const result = requestSchema.safeParse(body);
  if (!result.success) return { ok: false, message: describeIssues(result.error) };
  const req = result.data;
  const raw = body as { messages: unknown[] };
  const system = typeof req.system === "string" ? req.system : textOfParts(req.system ?? []);
  const hasSystem = typeof req.system === "string" ? req.system !== "" : (req.system?.length ?? 0) > 0;
  return {
    ok: true,
    request: {
      model: req.model,
      stream: req.stream === true,
      // Anthropic streams always report usage (message_start / message_delta).
      includeUsage: true,
      messages: raw.messages,
      tools: req.tools,
      maxOutputTokens: req.max_tokens,
      conversation: anthropicConversation(req.messages, system, hasSystem),
    },
  };
}

function blocksOf(m: AnthropicMessage): Block[] {
  return typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
}

function isToolResultMessage(m: AnthropicMessage): boolean {
  return m.role === "user" && blocksOf(m).some((b) => b.type === "tool_result");
}

function toolResultText(b: Block): string {
  if (typeof b.content === "string") return b.content;
  return textOfParts(b.content ?? []);
}

function anthropicConversation(messages: AnthropicMessage[], system: string, hasSystem: boolean): Conversation {
  const last = messages.at(-1);
  const lastPrompt = messages.findLast((m) => m.role === "user" && !isToolResultMessage(m));
  const promptChars = messages.reduce(
    (sum, m) =>
      sum +
      blocksOf(m).reduce((s, b) => {
        if (b.type === "tool_use") return s + JSON.stringify(b.input ?? {}).length;
        if (b.type === "tool_result") return s + toolResultText(b).length;
        return s + (b.text ?? "").length;
      }, 0),
    system.length,
  );
  return {
    lastUserText: lastPrompt === undefined ? "" : textOfParts(blocksOf(lastPrompt)),
    // Counts the system prompt like OpenAI's system message, so both shapes of one conversation agree.
    messageCount: messages.length + (hasSystem ? 1 : 0),
    toolResults:
      last !== undefined && isToolResultMessage(last)
        ? blocksOf(last)
            .filter((b) => b.type === "tool_result")
            .map((b) => truncateToolResult(toolResultText(b)))
        : undefined,
    promptChars,
    identity: JSON.stringify({ system, messages }),
  };
}
