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
  /** The same count as encode().length, without building the array of tokens. */
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

const O200K_FAMILIES = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/;

// Asked for every string counted; a deployment names a handful of models.
const encodingOf = new Map<string, TokenEncodingName>();

export function encodingForModel(model: string): TokenEncodingName {
  let name = encodingOf.get(model);
  if (name === undefined) {
    const bare = model.toLowerCase().split("/").pop() ?? "";
    name = O200K_FAMILIES.test(bare) ? "o200k_base" : "cl100k_base";
    if (encodingOf.size < 1_000) encodingOf.set(model, name);
  }
  return name;
}

// Each encoding's rank table is several MB; load it on first use, not at import time.
const require = createRequire(import.meta.url);
const encoders = new Map<TokenEncodingName, Encoder>();

/** Encodings loaded in this process so far (each costs tens of MB): for tests and diagnostics. */
export function loadedEncodings(): TokenEncodingName[] {
  return [...encoders.keys()];
}

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

/**
 * Counts already made, per encoding, oldest first (evicted first: refreshing on every hit cost more
 * than the rare re-count of an evicted system prompt). A worker counts the same strings turn
 * after turn: the agent's system prompt, role names, the user's text (in this turn's prompt, then in
 * the next turn's history). Re-tokenising them was 6 % of a worker's samples under the hot-path
 * bench; a lookup is about 50 times cheaper than the BPE. Bounded by entries and by characters held.
 */
const MEMO_MAX_ENTRIES = 4_096;
const MEMO_MAX_CHARS = 4_000_000;
const MEMO_MAX_TEXT_CHARS = 200_000;
const memos = new Map<TokenEncodingName, { counts: Map<string, number>; chars: number }>();

export function countTextTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  const name = encodingForModel(model);
  let memo = memos.get(name);
  if (!memo) memos.set(name, (memo = { counts: new Map(), chars: 0 }));
  const known = memo.counts.get(text);
  if (known !== undefined) return known;
  const n = encoder(name).countTokens(text, AS_TEXT);
  if (text.length <= MEMO_MAX_TEXT_CHARS) {
    memo.counts.set(text, n);
    memo.chars += text.length;
    for (const oldest of memo.counts.keys()) {
      if (memo.counts.size <= MEMO_MAX_ENTRIES && memo.chars <= MEMO_MAX_CHARS) break;
      memo.counts.delete(oldest);
      memo.chars -= oldest.length;
    }
  }
  return n;
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
