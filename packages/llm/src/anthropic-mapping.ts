import type { ChatMessage, FinishReason, ToolSpec, Usage } from "./types.ts";
import { isObject, num } from "./provider-adapter.ts";

/** Messages API field mapping shared by the non-streamed and streamed paths. */

export const ANTHROPIC_VERSION = "2023-06-01";
export const DEFAULT_MAX_TOKENS = 1024;

const EPHEMERAL = { type: "ephemeral" } as const;

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: Block[];
}

/**
 * System messages (wherever they appear) become the top-level `system`; the last system block and the
 * last tool carry cache_control so the stable prefix (tools + system) is cached across turns.
 */
export function anthropicSystem(messages: ChatMessage[]): Block[] | undefined {
  const blocks: Block[] = messages
    .filter((m) => m.role === "system" && m.content)
    .map((m) => ({ type: "text", text: m.content ?? "" }));
  const last = blocks[blocks.length - 1];
  if (!last) return undefined;
  last["cache_control"] = EPHEMERAL;
  return blocks;
}

export function anthropicTools(tools: ToolSpec[]): Block[] {
  return tools.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.parameters,
    ...(i === tools.length - 1 ? { cache_control: EPHEMERAL } : {}),
  }));
}

function toolInput(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args || "{}");
    return isObject(parsed) ? parsed : { value: parsed };
  } catch {
    // The model produced invalid JSON earlier; Anthropic requires an object, so keep the text visible.
    return { _raw: args };
  }
}

export function anthropicMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "tool") {
      const block: Block = { type: "tool_result", tool_use_id: m.toolCallId ?? "", content: m.content ?? "" };
      const prev = out[out.length - 1];
      // Consecutive tool results answer one assistant turn; Anthropic wants them in one user message.
      if (prev && prev.role === "user" && prev.content.every((b) => b["type"] === "tool_result")) prev.content.push(block);
      else out.push({ role: "user", content: [block] });
      continue;
    }
    const content: Block[] = [];
    // Anthropic rejects empty text blocks.
    if (m.content) content.push({ type: "text", text: m.content });
    if (m.role === "assistant") {
      for (const c of m.toolCalls ?? []) content.push({ type: "tool_use", id: c.id, name: c.name, input: toolInput(c.arguments) });
    }
    if (content.length > 0) out.push({ role: m.role, content });
  }
  return out;
}

export function mapAnthropicStopReason(reason: unknown): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      return "other";
  }
}

/**
 * Anthropic's input_tokens excludes cache reads and writes; turnq's inputTokens is the whole prompt
 * (as OpenAI reports it), with cachedInputTokens the part served from cache.
 */
export function anthropicUsage(usage: unknown, into: Usage): Usage {
  if (!isObject(usage)) return into;
  const has = (k: string) => typeof usage[k] === "number";
  const cacheRead = has("cache_read_input_tokens") ? num(usage["cache_read_input_tokens"]) : into.cachedInputTokens;
  if (has("input_tokens")) {
    into.inputTokens = num(usage["input_tokens"]) + cacheRead + num(usage["cache_creation_input_tokens"]);
  }
  into.cachedInputTokens = cacheRead;
  if (has("output_tokens")) into.outputTokens = num(usage["output_tokens"]);
  return into;
}
