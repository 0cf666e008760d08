import type { Context } from "hono";

/**
 * Who sent a request: the tenant it acts for and the API key it used. Everything a request reads or
 * stores is scoped to `tenantId`; limits apply per key and per tenant.
 */
export interface Caller {
  tenantId: string;
  keyId: string;
}

/**
 * The request's caller. Until API keys exist (issue #10, auth) every request acts for one tenant;
 * authentication replaces this with the caller its middleware set.
 */
export function callerOf(_c: Context): Caller {
  return { tenantId: "default", keyId: "anonymous" };
}
