import { createRequire } from "node:module";
import type { ChatMessage } from "./types.ts";

/**
 * Real BPE token counts via gpt-tokenizer, for budgeting context before a call (the provider's usage
 * numbers remain the source of truth after it).
 *
 * Encoding choice: o200k_base for the GPT-4o / 4.1 / 4.5 / 5 and o-series families (their actual
 * tokenizer). Everything else — older GPT-4/3.5 (exact) and non-OpenAI models such as Claude or Llama
 * (approximation: their tokenizers are private or differ, and cl100k tracks them within ~10-20%,
 * far better than chars/4) — uses cl100k_base.
 *
 * Chat framing follows OpenAI's published accounting: each message costs its role and content plus
 * MESSAGE_OVERHEAD_TOKENS, and the reply is primed with REPLY_PRIMING_TOKENS.
 */

export const MESSAGE_OVERHEAD_TOKENS = 3;
export const REPLY_PRIMING_TOKENS = 3;

export type TokenEncodingName = "o200k_base" | "cl100k_base";

interface Encoder {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
}

const O200K_FAMILIES = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/;

export function encodingForModel(model: string): TokenEncodingName {
  const bare = model.toLowerCase().split("/").pop() ?? "";
  return O200K_FAMILIES.test(bare) ? "o200k_base" : "cl100k_base";
}

// Each encoding's rank table is several MB; load it on first use, not at import time.
const require = createRequire(import.meta.url);
const encoders = new Map<TokenEncodingName, Encoder>();

function encoder(name: TokenEncodingName): Encoder {
  let enc = encoders.get(name);
  if (!enc) {
    enc = require(`gpt-tokenizer/encoding/${name}`) as Encoder;
    encoders.set(name, enc);
  }
  return enc;
}

// User text may contain strings like "<|endoftext|>"; count them as text instead of throwing.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function countTextTokens(text: string, model: string): number {
  return text.length === 0 ? 0 : encoder(encodingForModel(model)).encode(text, AS_TEXT).length;
}

export function countTokens(messages: ChatMessage[], model: string): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    total += MESSAGE_OVERHEAD_TOKENS + countTextTokens(m.role, model) + countTextTokens(m.content ?? "", model);
    if (m.toolCallId) total += countTextTokens(m.toolCallId, model);
    for (const c of m.toolCalls ?? []) total += countTextTokens(c.name, model) + countTextTokens(c.arguments, model);
  }
  return total;
}
