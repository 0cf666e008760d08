/**
 * admit — one fleet-wide admission decision for a provider.
 * KEYS[1] sorted set of in-flight leases (score = expiry ms), KEYS[2] token bucket hash
 * ARGV[1] lease id, ARGV[2] lease ttl ms, ARGV[3] max in flight (0 = no limit),
 * ARGV[4] tokens per minute (0 = no limit), ARGV[5] tokens wanted
 * Returns {1, 0} when admitted (lease held, tokens taken), or {0, waitMs} with a hint how long to wait.
 * Uses the server's clock so every worker sees the same time; leases of crashed workers expire.
 * Called by provider-admission.ts.
 */
export const admitScript = `
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
