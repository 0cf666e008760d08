import { TurnqError } from "@turnq/core";
import type { Context } from "hono";
import type { AppEnv } from "./deps.ts";

/** Who is calling: the tenant every route answers for, and the key it used (recorded on turns). */
export interface Caller {
  tenantId: string;
  keyId: string;
  /** The tenant's weight in fair scheduling (`tenants.weight`, set by the operator; 1 by default). */
  weight: number;
}

/** The caller of a /v1 request, set by the authenticate middleware before any route runs. */
export function callerOf(c: Context<AppEnv>): Caller {
  const caller = c.get("caller");
  // Only a route mounted outside /v1 (where authenticate does not run) could get here.
  if (!caller) throw new TurnqError("internal", "This route has no authenticated caller; it must be mounted under /v1.");
  return caller;
}
