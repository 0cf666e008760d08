import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken, TurnqError } from "@turnq/core";
import type { MiddlewareHandler } from "hono";
import { header } from "../node-request.ts";

/**
 * Guards the admin API with the operator key from the environment (TURNQ_ADMIN_KEY). Digests are
 * compared in constant time, so the answer's timing says nothing about how much of a guess matched.
 */
export function operatorKey(adminKey: string): MiddlewareHandler {
  const expected = createHash("sha256").update(adminKey).digest();
  return async (c, next) => {
    const given = bearerToken(header(c, "authorization"));
    const digest = createHash("sha256").update(given ?? "").digest();
    if (given === undefined || !timingSafeEqual(digest, expected)) {
      throw new TurnqError("unauthorized", "The admin API needs the operator key: Authorization: Bearer <TURNQ_ADMIN_KEY>.");
    }
    await next();
  };
}
