/**
 * Context sizes of known model families, in tokens. Matched by prefix on the bare model name (any
 * "provider/" prefix removed), first match wins, so more specific names come first.
 */
const CONTEXT_SIZES: ReadonlyArray<readonly [RegExp, number]> = [
  [/^gpt-4\.1/, 1_047_576],
  [/^gpt-5/, 400_000],
  [/^(gpt-4o|chatgpt-4o|gpt-4-turbo|gpt-4\.5)/, 128_000],
  [/^gpt-4-32k/, 32_768],
  [/^gpt-4/, 8_192],
  [/^gpt-3\.5-turbo/, 16_385],
  [/^o\d/, 200_000],
  [/^claude-/, 200_000],
  [/^gemini-(1\.5|2)/, 1_048_576],
  [/^(llama-?3\.[1-3]|meta-llama-3\.[1-3])/, 128_000],
  [/^(mistral-large|mistral-medium|mistral-small)/, 128_000],
  [/^qwen2\.5/, 32_768],
];

/** Unknown models get a size every current chat model exceeds, so a guess never overflows. */
export const DEFAULT_CONTEXT_TOKENS = 8_192;

/** Share of the context the prompt may use; the rest absorbs tokenizer error beyond calibration. */
export const PROMPT_SHARE = 0.9;

export function contextSizeFor(model: string): number {
  const bare = model.toLowerCase().split("/").pop() ?? "";
  for (const [pattern, size] of CONTEXT_SIZES) if (pattern.test(bare)) return size;
  return DEFAULT_CONTEXT_TOKENS;
}

/**
 * Tokens a prompt may take for `model` while leaving `maxOutputTokens` for the reply. Never below a
 * small floor, so a misconfigured output size still leaves room for the system prompt and the input.
 */
export function budgetFor(model: string, maxOutputTokens: number): number {
  const size = contextSizeFor(model);
  const reply = Math.max(0, Math.min(maxOutputTokens, size / 2));
  return Math.max(1_024, Math.floor(size * PROMPT_SHARE - reply));
}
