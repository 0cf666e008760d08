import type { Redis } from "ioredis";
import { fairShareKeys, rateLimitKeys, sessionKeys, tenantKeys } from "./keys.ts";

/**
 * admit — the API's admission of one request, shared by every API process: two token buckets (the
 * caller's key, its tenant), and for a submit the session's queued turns and the tenant's busy
 * sessions. One call per request; a refused request takes nothing.
 * KEYS[1] key bucket, KEYS[2] tenant bucket; for a submit also KEYS[3] the session's pending set,
 * KEYS[4] the fleet's share hash (the tenant's drain jobs + parked sessions = its busy sessions)
 * ARGV[1] key rate per second, ARGV[2] key burst (0 = no limit), ARGV[3] tenant rate, ARGV[4] tenant
 * burst (0 = no limit), ARGV[5] most queued turns per session, ARGV[6] most busy sessions per tenant,
 * ARGV[7] the tenant's field prefix in the share hash
 * Returns {verdict, key tokens left, tenant tokens left, wait ms}: verdict 1 admitted, 0 a bucket is
 * empty (wait ms until it holds a token), 2 the session's queue is full, 3 the tenant has its most
 * busy sessions. A bucket is one string "<tokens> <ms>" (MGET reads both), refilled continuously
 * from the server's clock, so every API process agrees, and kept only as long as it takes to refill.
 */
const admitScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local raw = redis.call('MGET', KEYS[1], KEYS[2])
local function level(v, rate, burst)
  if burst <= 0 then return 1e9 end
  if not v then return burst end
  local sep = string.find(v, ' ')
  local tokens, at = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
  return math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
end
local kr, kb, tr, tb = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local k, tn = level(raw[1], kr, kb), level(raw[2], tr, tb)
if k < 1 or tn < 1 then
  local wait = 0
  if k < 1 then wait = math.ceil((1 - k) * 1000 / kr) end
  if tn < 1 then wait = math.max(wait, math.ceil((1 - tn) * 1000 / tr)) end
  return {0, math.floor(math.max(0, k)), math.floor(math.max(0, tn)), wait}
end
if #KEYS >= 4 then
  local queued = redis.call('SCARD', KEYS[3])
  if queued >= tonumber(ARGV[5]) then return {2, math.floor(k), math.floor(tn), 1000} end
  if queued == 0 then
    local s = redis.call('HMGET', KEYS[4], ARGV[7] .. 's', ARGV[7] .. 'p')
    if (tonumber(s[1]) or 0) + (tonumber(s[2]) or 0) >= tonumber(ARGV[6]) then return {3, math.floor(k), math.floor(tn), 1000} end
  end
end
if kb > 0 then redis.call('SET', KEYS[1], (k - 1) .. ' ' .. now, 'PX', math.ceil(kb * 1000 / kr) + 1000) end
if tb > 0 then redis.call('SET', KEYS[2], (tn - 1) .. ' ' .. now, 'PX', math.ceil(tb * 1000 / tr) + 1000) end
return {1, math.floor(k - 1), math.floor(tn - 1), 0}
`;

export interface AdmissionLimits {
  /** Requests per second refilled into each API key's bucket, and its size (0 = no per-key limit). */
  keyPerSecond: number;
  keyBurst: number;
  /** The same for each tenant, over all its keys. */
  tenantPerSecond: number;
  tenantBurst: number;
  /** Unfinished turns a session may hold; a submit beyond gets 429 session_queue_full. */
  sessionMaxQueuedTurns: number;
  /** Sessions with unfinished turns a tenant may have; a submit that would add one gets 429 tenant_sessions_limit. */
  tenantMaxBusySessions: number;
}

export type AdmissionVerdict = "admitted" | "rate_limited" | "session_queue_full" | "tenant_sessions_limit";

export interface Admission {
  verdict: AdmissionVerdict;
  /** Whole tokens left in the key's and the tenant's buckets after this request. */
  keyRemaining: number;
  tenantRemaining: number;
  /** When refused: how long until a retry can succeed (a token, or a moment for a queue). */
  retryAfterMs: number;
}

const verdicts: AdmissionVerdict[] = ["rate_limited", "admitted", "session_queue_full", "tenant_sessions_limit"];

/** Admission of API requests; `submit` adds the checks that gate a new turn (before it is stored). */
export function createRequestAdmission(redis: Redis, prefix: string, limits: AdmissionLimits) {
  const r = redis as Redis & Record<string, ((...a: (string | number)[]) => Promise<number[]>) | undefined>;
  if (!r.turnqAdmitRequest) {
    redis.defineCommand("turnqAdmitRequest", { numberOfKeys: 2, lua: admitScript });
    redis.defineCommand("turnqAdmitSubmit", { numberOfKeys: 4, lua: admitScript });
  }
  const args = [limits.keyPerSecond, limits.keyBurst, limits.tenantPerSecond, limits.tenantBurst, limits.sessionMaxQueuedTurns, limits.tenantMaxBusySessions];
  const decode = ([v, k, t, wait]: number[]): Admission => ({
    verdict: verdicts[(v ?? 0) as 0 | 1 | 2 | 3]!,
    keyRemaining: k ?? 0,
    tenantRemaining: t ?? 0,
    retryAfterMs: wait ?? 0,
  });
  return {
    limits,
    async request(tenantId: string, keyId: string): Promise<Admission> {
      const k = rateLimitKeys(prefix, tenantId, keyId);
      return decode(await r.turnqAdmitRequest!(k.key, k.tenant, ...args));
    },
    async submit(tenantId: string, keyId: string, sessionId: string): Promise<Admission> {
      const k = rateLimitKeys(prefix, tenantId, keyId);
      const session = sessionKeys(prefix, sessionId).pending;
      return decode(await r.turnqAdmitSubmit!(k.key, k.tenant, session, fairShareKeys(prefix).share, ...args, tenantKeys(prefix, tenantId).field));
    },
  };
}

export type RequestAdmission = ReturnType<typeof createRequestAdmission>;
