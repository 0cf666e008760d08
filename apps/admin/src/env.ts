import { parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";

/** The admin CLI's configuration: the only module of apps/admin that reads process.env. */
export const adminEnvSchema = z.object({
  DATABASE_URL: sharedEnv.DATABASE_URL,
  REDIS_URL: sharedEnv.REDIS_URL,
  TURNQ_PREFIX: sharedEnv.TURNQ_PREFIX,
});

export type AdminEnv = z.infer<typeof adminEnvSchema>;

export function loadAdminEnv(source: Record<string, string | undefined> = process.env): AdminEnv {
  return parseEnv(adminEnvSchema, source);
}
