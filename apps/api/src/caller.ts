import type { Context } from "hono";

/** Who is calling: the tenant every query is scoped by, and the API key used. */
export interface Caller {
  tenantId: string;
  keyId: string;
}

/**
 * Stub until API keys exist (the auth work replaces this file): every caller is the deployment's
 * one tenant, "default".
 */
export function callerOf(_c: Context): Caller {
  return { tenantId: "default", keyId: "anonymous" };
}
