import { encryptionKeysEnv, parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";

/** The API's whole configuration. The only module of the API that reads process.env. */
export const apiEnvSchema = z.object({
  ...sharedEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  /** A request (headers and body) not received in full within this long gets 408 and its connection closed. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** When set, turn responses carry a link to the turn's trace, e.g. http://localhost:16686 */
  JAEGER_UI_URL: z.url().optional(),
  /** Keys that seal HTTP tool headers at rest (README, Tenants and keys); without them agents cannot carry headers. */
  TURNQ_ENCRYPTION_KEY: encryptionKeysEnv.optional(),
  /** The operator key that guards /admin/v1 (tenants and API keys); without it the admin API is off. */
  TURNQ_ADMIN_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{32,512}$/, "TURNQ_ADMIN_KEY must be 32 to 512 visible ASCII characters, e.g. the output of: openssl rand -base64 32")
    .optional(),
  /**
   * Token buckets shared by every API process (429 rate_limited beyond): requests per second refilled
   * and the bucket's size, per API key and per tenant. A burst of 0 turns that limit off.
   */
  RATE_LIMIT_KEY_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(2_000),
  RATE_LIMIT_KEY_BURST: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  RATE_LIMIT_TENANT_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(5_000),
  RATE_LIMIT_TENANT_BURST: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
  /** Unfinished turns one session may hold (429 session_queue_full beyond). */
  SESSION_MAX_QUEUED_TURNS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  /** Sessions with unfinished turns one tenant may have (429 tenant_sessions_limit beyond). */
  TENANT_MAX_BUSY_SESSIONS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Sessions waiting for a worker, fleet-wide, beyond which submits get 503 queue_full (backpressure). */
  QUEUE_MAX_WAITING_SESSIONS: z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  /** Let webhook endpoints be private, loopback or link-local addresses (off: refused, like http_get). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** The built web console served at /console; defaults to apps/console/dist of this checkout or image. */
  CONSOLE_DIR: z.string().min(1).optional(),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, source);
}
