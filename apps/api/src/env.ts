import { encryptionKeysEnv, parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";

/** The API's whole configuration. The only module of the API that reads process.env. */
export const apiEnvSchema = z.object({
  ...sharedEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
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
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, source);
}
