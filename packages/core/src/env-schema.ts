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
  /**
   * Postgres connections per process. Small on purpose: postgres.js pipelines statements on busy
   * connections, and every further backend only competes for Postgres's cores. In the hot-path bench
   * (2 cores, 200 turns in flight) 5 connections per process cost Postgres 1.05-1.18 ms of CPU a
   * turn, 10 cost 1.34-1.38 and 20 cost 1.80-1.83, for 25 % fewer turns/s. Raise it for many
   * concurrent transactions (tool rounds hold one each for a few round trips) or a Postgres with many
   * cores behind a network.
   */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(5),
  /** One server, or a Redis Cluster by some of its nodes: redis+cluster://host:port,host:port (rediss… for TLS). */
  REDIS_URL: z
    .string()
    .regex(
      /^rediss?(\+cluster)?:\/\//,
      "REDIS_URL must start with redis:// or rediss:// (one server), or redis+cluster:// or rediss+cluster:// followed by host:port,host:port… (a Redis Cluster)",
    )
    .default("redis://127.0.0.1:6379"),
  /**
   * How many BullMQ drain queues sessions are spread over (each with its own hash tag, so a Redis
   * Cluster places them on different nodes). Every API and worker of a deployment must use the same
   * value; change it only with the fleet stopped (the reconciler then re-announces unfinished turns).
   */
  QUEUE_SHARDS: z.coerce
    .number({ error: "QUEUE_SHARDS must be a whole number from 1 to 256, e.g. 3 for a 3-master Redis Cluster" })
    .int("QUEUE_SHARDS must be a whole number from 1 to 256")
    .min(1, "QUEUE_SHARDS must be at least 1")
    .max(256, "QUEUE_SHARDS must be at most 256")
    .default(1),
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

/** Configuration that cannot be used; the message has one line per variable saying what to set. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses `source` with `schema`, or throws a ConfigError with one line per problem saying what to fix. */
export function parseEnv<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issueLine(issue, source)}`);
  throw new ConfigError(`Invalid configuration; set these environment variables (in the environment or .env, see .env.example):\n${lines.join("\n")}`);
}

function issueLine(issue: z.core.$ZodIssue, source: Record<string, string | undefined>): string {
  const name = issue.path.join(".") || "(env)";
  // The schema's own message already names the variable and an example value; say it once.
  if (issue.message.startsWith(name)) return issue.message;
  if (issue.path.length === 1 && source[name] === undefined) return `${name} is not set: ${issue.message}`;
  return `${name}: ${issue.message}`;
}

/**
 * For composition roots: runs `load`, and when the configuration is unusable prints the ConfigError's
 * lines (no stack trace: nothing is wrong with the code) and exits with status 1.
 */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
