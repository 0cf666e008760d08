import { apiKeyPattern, bearerToken, TurnqError } from "@turnq/core";
import type { MiddlewareHandler } from "hono";
import type { ApiKeyCache } from "../api-key-cache.ts";
import type { Caller } from "../caller.ts";
import { header } from "../node-request.ts";

/**
 * `Authorization: Bearer <key>` on every route it guards: a missing, malformed, unknown or revoked
 * key is answered 401 (problem+json with WWW-Authenticate, see problem.ts) before the body is read,
 * so nothing is stored; a good key sets the caller. The key itself is never logged or put on a span.
 */
export function authenticate(keys: ApiKeyCache): MiddlewareHandler<{ Variables: { caller: Caller } }> {
  return async (c, next) => {
    const key = bearerToken(header(c, "authorization"));
    if (key === undefined || !apiKeyPattern.test(key)) {
      throw new TurnqError(
        "unauthorized",
        "Send an API key as Authorization: Bearer tq_live_…; an operator creates one with npm run turnq -- keys create --tenant <name>.",
      );
    }
    const caller = await keys.verify(key);
    if (!caller) throw new TurnqError("unauthorized", "This API key is unknown or revoked; ask an operator for a valid key.");
    c.set("caller", caller);
    await next();
  };
}
