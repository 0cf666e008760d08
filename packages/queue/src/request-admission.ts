import type { Redis } from "ioredis";
import { fairShareKeys, rateLimitKeys, sessionKeys, shardOf, tenantKeys, type KeySpace } from "./keys.ts";

/**
 * quota(pending, share, most queued, most busy, field) — the submit's checks on the session's shard:
 * 1 admitted, 2 the session's queue is full, 3 the tenant has its most busy sessions (its drain jobs +
 * parked sessions in the share hash; a session that already has queued turns adds none). Reads only.
 */
const quotaLua = `
local function quota(pending, share, maxQueued, maxBusy, field)
  local queued = redis.call('SCARD', pending)
  if queued >= tonumber(maxQueued) then return 2 end
  if queued == 0 then
    local s = redis.call('HMGET', share, field .. 's', field .. 'p')
    if (tonumber(s[1]) or 0) + (tonumber(s[2]) or 0) >= tonumber(maxBusy) then return 3 end
  end
  return 1
end
`;

/**
 * quota — the submit's checks alone, for the tagged layout (keys.ts), where the session's shard and
 * the tenant's buckets are in different slots: run first, in the shard's slot; its verdict goes to
 * admit (ARGV[8]), so a refused request still takes no token.
 * KEYS[1] the session's pending set, KEYS[2] the shard's share hash
 * ARGV[1] most queued turns per session, ARGV[2] most busy sessions of the tenant on this shard,
 * ARGV[3] the tenant's field prefix
 * Returns the verdict (1, 2 or 3 as in admit).
 */
const quotaScript = `${quotaLua}
return quota(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
`;

/**
 * admit — the API's admission of one request, shared by every API process: two token buckets (the
 * caller's key, its tenant), and for a submit the session's queued turns and the tenant's busy
 * sessions. One call per request; a refused request takes nothing.
 * KEYS[1] key bucket, KEYS[2] tenant bucket; for a submit also KEYS[3] the session's pending set,
 * KEYS[4] the fleet's share hash (the tenant's drain jobs + parked sessions = its busy sessions)
 * ARGV[1] key rate per second, ARGV[2] key burst (0 = no limit), ARGV[3] tenant rate, ARGV[4] tenant
 * burst (0 = no limit), ARGV[5] most queued turns per session, ARGV[6] most busy sessions per tenant,
 * ARGV[7] the tenant's field prefix in the share hash, ARGV[8] (tagged layout, KEYS[1..2] only) the
 * verdict of quota, run before in the session's shard slot ('' = none), ARGV[9] the caller's clock (epoch ms)
 * Returns {verdict, key tokens left, tenant tokens left, wait ms}: verdict 1 admitted, 0 a bucket is
 * empty (wait ms until it holds a token), 2 the session's queue is full, 3 the tenant has its most
 * busy sessions. A bucket is one string "<tokens> <ms>" (MGET reads both), refilled continuously
 * by the callers' clocks, and kept only as long as it takes to refill. API processes' clocks agree to
 * a few milliseconds (NTP); one running d ms behind the bucket's last writer refills nothing for those
 * d ms (never a negative refill), so a skew costs at most d × rate / 1000 tokens. Redis's own TIME
 * would cost a command per request for that.
 */
const admitScript = `${quotaLua}
local now = tonumber(ARGV[9])
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
local verdict = tonumber(ARGV[8]) or 1
if #KEYS >= 4 then verdict = quota(KEYS[3], KEYS[4], ARGV[5], ARGV[6], ARGV[7]) end
if verdict ~= 1 then return {verdict, math.floor(k), math.floor(tn), 1000} end
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

/**
 * Admission of API requests; `submit` adds the checks that gate a new turn (before it is stored).
 * Untagged layout (one Redis, one shard): one script call per request. Tagged layout (Redis Cluster
 * or QUEUE_SHARDS > 1): the buckets live in the tenant's slot and the session in its shard's, so a
 * submit makes two calls (quota, then admit); the tenant's busy sessions are counted on the session's
 * shard against ceil(limit / shards), an approximation of the fleet-wide limit (README).
 */
export function createRequestAdmission(redis: Redis, space: KeySpace, limits: AdmissionLimits) {
  const r = redis as Redis & Record<string, ((...a: (string | number)[]) => Promise<number[]>) | undefined>;
  if (!r.turnqAdmitRequest) {
    redis.defineCommand("turnqAdmitRequest", { numberOfKeys: 2, lua: admitScript });
    redis.defineCommand("turnqAdmitSubmit", { numberOfKeys: 4, lua: admitScript });
    redis.defineCommand("turnqAdmitQuota", { numberOfKeys: 2, lua: quotaScript });
  }
  const q = r as unknown as { turnqAdmitQuota(...a: (string | number)[]): Promise<number> };
  const args = [limits.keyPerSecond, limits.keyBurst, limits.tenantPerSecond, limits.tenantBurst, limits.sessionMaxQueuedTurns, limits.tenantMaxBusySessions];
  const busyPerShard = Math.ceil(limits.tenantMaxBusySessions / space.shards);
  const decode = ([v, k, t, wait]: number[]): Admission => ({
    verdict: verdicts[(v ?? 0) as 0 | 1 | 2 | 3]!,
    keyRemaining: k ?? 0,
    tenantRemaining: t ?? 0,
    retryAfterMs: wait ?? 0,
  });
  return {
    limits,
    async request(tenantId: string, keyId: string): Promise<Admission> {
      const k = rateLimitKeys(space, tenantId, keyId);
      return decode(await r.turnqAdmitRequest!(k.key, k.tenant, ...args, "", "", Date.now()));
    },
    async submit(tenantId: string, keyId: string, sessionId: string): Promise<Admission> {
      const k = rateLimitKeys(space, tenantId, keyId);
      const session = sessionKeys(space, sessionId).pending;
      const shard = shardOf(space, sessionId);
      const share = fairShareKeys(space, shard).share;
      const field = tenantKeys(space, shard, tenantId).field;
      if (!space.tagged) return decode(await r.turnqAdmitSubmit!(k.key, k.tenant, session, share, ...args, field, "", Date.now()));
      const verdict = await q.turnqAdmitQuota(session, share, limits.sessionMaxQueuedTurns, busyPerShard, field);
      return decode(await r.turnqAdmitRequest!(k.key, k.tenant, ...args, field, verdict, Date.now()));
    },
  };
}

export type RequestAdmission = ReturnType<typeof createRequestAdmission>;
