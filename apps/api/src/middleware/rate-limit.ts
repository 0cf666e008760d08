import { TurnqError } from "@turnq/core";
import type { Admission, RequestAdmission } from "@turnq/queue";
import type { Context, MiddlewareHandler } from "hono";
import { callerOf } from "../caller.ts";

/**
 * Admits each API request against its key's and its tenant's token buckets (one Redis script call,
 * shared by every API process). The submit of a turn is admitted by its route instead, in one call
 * with the checks that gate a new turn (admitSubmit below), so no request costs two.
 */
export function rateLimit(admission: RequestAdmission, opts: { skip(c: Context): boolean; onUnavailable(err: Error): void }): MiddlewareHandler {
  return async (c, next) => {
    if (opts.skip(c)) return next();
    const caller = callerOf(c);
    const a = await admission.request(caller.tenantId, caller.keyId).catch(failOpen(opts.onUnavailable));
    if (a) {
      setRateLimitHeaders(c, admission, a);
      if (a.verdict !== "admitted") throw refusal(a);
    }
    await next();
  };
}

/** The submit's admission: rate limits, the session's queued turns, the tenant's busy sessions. */
export async function admitSubmit(c: Context, admission: RequestAdmission, sessionId: string, onUnavailable: (err: Error) => void): Promise<void> {
  const caller = callerOf(c);
  const a = await admission.submit(caller.tenantId, caller.keyId, sessionId).catch(failOpen(onUnavailable));
  if (!a) return;
  setRateLimitHeaders(c, admission, a);
  if (a.verdict !== "admitted") throw refusal(a);
}

/**
 * Redis unreachable: the request is admitted unlimited. Postgres is the record of what was
 * accepted (the reconciler announces turns Redis missed), so a Redis outage must not refuse work.
 */
function failOpen(onUnavailable: (err: Error) => void) {
  return (err: Error): undefined => {
    onUnavailable(err);
    return undefined;
  };
}

/**
 * The IETF httpapi RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10): the policies
 * (`q` requests a bucket holds, `w` seconds it takes to refill), and the bucket nearer to empty
 * (`r` requests left, `t` seconds until it is full again).
 */
function setRateLimitHeaders(c: Context, admission: RequestAdmission, a: Admission): void {
  const l = admission.limits;
  const policies: string[] = [];
  if (l.keyBurst > 0) policies.push(`"key";q=${l.keyBurst};w=${Math.max(1, Math.ceil(l.keyBurst / l.keyPerSecond))}`);
  if (l.tenantBurst > 0) policies.push(`"tenant";q=${l.tenantBurst};w=${Math.max(1, Math.ceil(l.tenantBurst / l.tenantPerSecond))}`);
  if (policies.length === 0) return;
  const key = l.keyBurst > 0 ? { name: "key", r: a.keyRemaining, burst: l.keyBurst, rate: l.keyPerSecond } : undefined;
  const tenant = l.tenantBurst > 0 ? { name: "tenant", r: a.tenantRemaining, burst: l.tenantBurst, rate: l.tenantPerSecond } : undefined;
  const tight = !key ? tenant! : !tenant ? key : key.r / key.burst <= tenant.r / tenant.burst ? key : tenant;
  const r = Math.max(0, Math.min(tight.r, tight.burst));
  c.header("ratelimit-policy", policies.join(", "));
  // Refused: the time until a request can pass; otherwise until the bucket is full again.
  const t = a.verdict === "rate_limited" ? Math.max(1, Math.ceil(a.retryAfterMs / 1000)) : Math.ceil((tight.burst - r) / tight.rate);
  c.header("ratelimit", `"${tight.name}";r=${a.verdict === "rate_limited" ? 0 : r};t=${t}`);
}

function refusal(a: Admission): TurnqError {
  const retryAfterMs = Math.max(1_000, a.retryAfterMs);
  switch (a.verdict) {
    case "rate_limited":
      return new TurnqError("rate_limited", `Too many requests for this API key or tenant; retry after ${Math.ceil(retryAfterMs / 1000)} s (see the RateLimit headers).`, { retryAfterMs });
    case "session_queue_full":
      return new TurnqError("session_queue_full", "This session already has as many unfinished turns as it may queue; wait for some to finish, then submit again.", { retryAfterMs });
    case "tenant_sessions_limit":
      return new TurnqError("tenant_sessions_limit", "Your tenant has as many sessions with unfinished turns as it may; wait for some to finish, or submit to a busy session.", { retryAfterMs });
    case "admitted":
      throw new Error("an admitted request is not refused");
  }
}

/** Logs an unreachable admission at most once a second per process (a Redis outage is loud enough). */
export function admissionUnavailable(logger: { warn(o: object, m: string): void }): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    logger.warn({ err: err.message }, "rate limits unavailable (Redis unreachable); admitting requests unlimited meanwhile");
  };
}
