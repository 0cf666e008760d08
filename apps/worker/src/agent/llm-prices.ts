import type { Usage } from "@turnq/llm";
import { z } from "zod";

/** Prices per model in US dollars per million tokens, e.g. {"gpt-4o-mini": {"input": 0.15, "cachedInput": 0.075, "output": 0.6}}. */
export const llmPricesSchema = z.record(
  z.string().min(1),
  z
    .object({
      input: z.number().nonnegative(),
      cachedInput: z.number().nonnegative().optional(),
      output: z.number().nonnegative(),
    })
    .strict(),
);

export type LlmPrices = z.infer<typeof llmPricesSchema>;

/**
 * The cost of one call in millionths of a dollar: with prices per million tokens, tokens × price is
 * exactly micro-dollars. Cached input is billed at its own price where the provider has one. A model
 * without a price costs 0 (and the turn says so by reporting 0).
 */
export function callCostMicros(prices: LlmPrices, model: string, usage: Usage): number {
  const p = prices[model];
  if (!p) return 0;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return Math.round((usage.inputTokens - cached) * p.input + cached * (p.cachedInput ?? p.input) + usage.outputTokens * p.output);
}
