import { z } from "zod";
import { headerValueProblem } from "./http-header-value.ts";

/**
 * Pieces of configuration both apps read. Each app composes these into its own schema in its
 * `env.ts`, the only module that touches `process.env`.
 */
export const sharedEnv = {
  DATABASE_URL: z
    .string({ error: "DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/turnq" })
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://")
    .default("redis://127.0.0.1:6379"),
  /** Namespace for every Redis key and queue, so several deployments (or tests) share one Redis. */
  TURNQ_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "TURNQ_PREFIX: letters, digits, _ or -").default("turnq"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

/** An absolute http:// or https:// URL; `example` shows the variable's expected form. */
export function httpUrlEnv(name: string, example: string) {
  return z.string({ error: `${name} is required, e.g. ${example}` }).superRefine((raw, ctx) => {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.host === "") {
      ctx.addIssue({ code: "custom", message: `${name} must be an absolute URL starting with http:// or https://, e.g. ${example}` });
    }
  });
}

/**
 * A value sent as an HTTP header (an API key): printable ASCII. The message names the problem and
 * its position, never the value, and says what to do.
 */
export function headerValueEnv(name: string, fix: string) {
  return z.string().superRefine((raw, ctx) => {
    const problem = headerValueProblem(raw);
    if (problem) ctx.addIssue({ code: "custom", message: `${name} cannot be sent in an HTTP header: ${problem}. ${fix}` });
  });
}

/** Parses `source` with `schema`, or exits with one line per problem saying what to fix. */
export function parseEnv<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
  throw new Error(`Invalid configuration; fix these environment variables (see .env.example):\n${lines.join("\n")}`);
}
