import { parseEnv, sharedEnv } from "@turnq/core";
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
  /** The built web console served at /console; defaults to apps/console/dist of this checkout or image. */
  CONSOLE_DIR: z.string().min(1).optional(),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, source);
}
