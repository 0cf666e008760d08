import type { Context } from "hono";

/** Who is calling: the tenant whose data a request may see, and the API key it presented. */
export interface Caller {
  tenantId: string;
  keyId: string;
}

/**
 * Stub until API keys land (branch `auth` replaces this file): every request is the default
 * tenant's. Routes that list or read tenant data already ask for it, so they scope by tenant then.
 */
export function callerOf(_c: Context): Caller {
  return { tenantId: "default", keyId: "anonymous" };
}
