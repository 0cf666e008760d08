import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { providerKeys } from "./keys.ts";

/**
 * admit — one fleet-wide admission decision for a provider.
 * KEYS[1] sorted set of in-flight leases (score = expiry ms), KEYS[2] token bucket hash
 * ARGV[1] lease id, ARGV[2] lease ttl ms, ARGV[3] max in flight (0 = no limit),
 * ARGV[4] tokens per minute (0 = no limit), ARGV[5] tokens wanted
 * Returns {1, 0} when admitted (lease held, tokens taken), or {0, waitMs} with a hint how long to wait.
 * Uses the server's clock so every worker sees the same time; leases of crashed workers expire.
 */
const admitScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local maxIn = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
if maxIn > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= maxIn then return {0, 25} end
end
if tpm > 0 then
  local b = redis.call('HMGET', KEYS[2], 'tokens', 'ts')
  local tokens = tonumber(b[1]) or tpm
  local ts = tonumber(b[2]) or now
  tokens = math.min(tpm, tokens + (now - ts) * tpm / 60000)
  local need = math.min(want, tpm)
  if tokens < need then
    redis.call('HSET', KEYS[2], 'tokens', tokens, 'ts', now)
    return {0, math.ceil((need - tokens) * 60000 / tpm)}
  end
  redis.call('HSET', KEYS[2], 'tokens', tokens - want, 'ts', now)
  redis.call('PEXPIRE', KEYS[2], 120000)
end
if maxIn > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
end
return {1, 0}
`;

export interface ProviderLimits {
  maxInFlight: number;
  tokensPerMinute: number;
  /** A crashed worker's slot frees itself after this long; keep it above the longest LLM call. */
  leaseTtlMs?: number;
}

/**
 * Admission shared by all workers through Redis, so fifty workers do not stampede a provider into
 * 429s: at most `maxInFlight` requests at once and `tokensPerMinute` tokens (estimated up front,
 * corrected with the provider's reported usage on release).
 */
export function createProviderAdmission(redis: Redis, prefix: string, provider: string, limits: ProviderLimits) {
  const keys = providerKeys(prefix, provider);
  const ttl = limits.leaseTtlMs ?? 300_000;
  if (!(redis as unknown as Record<string, unknown>).turnqAdmit) redis.defineCommand("turnqAdmit", { numberOfKeys: 2, lua: admitScript });
  const admit = (redis as unknown as { turnqAdmit(...a: (string | number)[]): Promise<[number, number]> }).turnqAdmit.bind(redis);

  return {
    async acquire({ estimatedTokens, signal }: { estimatedTokens: number; signal?: AbortSignal | undefined }) {
      const lease = randomUUID();
      for (;;) {
        signal?.throwIfAborted();
        const [ok, waitMs] = await admit(keys.inFlight, keys.bucket, lease, ttl, limits.maxInFlight, limits.tokensPerMinute, estimatedTokens);
        if (ok === 1) break;
        // Jitter keeps waiting workers from retrying in lockstep.
        await sleep(Math.min(waitMs, 1_000) * (0.5 + Math.random()), signal);
      }
      let released = false;
      return (actualTokens: number | undefined) => {
        if (released) return;
        released = true;
        const tx = redis.multi().zrem(keys.inFlight, lease);
        if (limits.tokensPerMinute > 0 && actualTokens !== undefined) {
          tx.hincrbyfloat(keys.bucket, "tokens", estimatedTokens - actualTokens);
        }
        void tx.exec().catch(() => {});
      };
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
