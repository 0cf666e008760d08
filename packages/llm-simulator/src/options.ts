import { z } from "zod";
import { describeIssues } from "./issues.ts";
import type { SimulatorOptions } from "./types.ts";

const millis = z.number().int().min(0).max(3_600_000);

const optionsSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65_535).default(0),
  latencyMs: millis.default(0),
  firstTokenMs: millis.optional(),
  apiKey: z.string().min(1).optional(),
  recordLimit: z.number().int().min(0).default(10_000),
});

export type ResolvedOptions = z.infer<typeof optionsSchema>;

/** Validates programmatic options so a typo'd value fails at start, not as odd timings later. */
export function resolveOptions(opts: SimulatorOptions = {}): ResolvedOptions {
  const result = optionsSchema.safeParse(opts);
  if (result.success) return result.data;
  throw new TypeError(`Invalid simulator options: ${describeIssues(result.error)}`);
}

/** Without an explicit first-token time, a stream starts quickly but never later than it ends. */
export function defaultFirstTokenMs(latencyMs: number): number {
  return latencyMs === 0 ? 0 : Math.min(latencyMs, 100);
}
