import type { Redis } from "ioredis";
import { fairShareKeys, type KeySpace } from "./keys.ts";

/**
 * slots — report a worker's slots on one shard and recompute the live fleet's total there (fair scheduling).
 * KEYS[1] sorted set of live workers (member `<worker id>#<concurrency>`, score: expiry ms), KEYS[2] F
 * ARGV[1] member, ARGV[2] ttl ms (0 = the worker leaves)
 * Returns the fleet's slots. Uses the server's clock, so every worker agrees on expiry; a worker
 * that died without leaving drops out after its ttl.
 */
const slotsScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if tonumber(ARGV[2]) > 0 then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else redis.call('ZREM', KEYS[1], ARGV[1]) end
local total = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  total = total + (tonumber(string.match(m, '#(%d+)$')) or 0)
end
redis.call('HSET', KEYS[2], 'slots', total)
return total
`;

/**
 * Keeps this worker's slots counted in the fleet's total on each shard, which decides each tenant's
 * share of the workers there (tenant-share-lua.ts): `concurrencyPerShard` slots on every shard (a
 * worker runs a BullMQ Worker with that concurrency on each; drain-queues.ts), refreshed every
 * `everyMs`, dropped `ttlMs` after the last refresh if the worker dies, removed at once when it stops.
 * Each shard's registry lives in the shard's slot (keys.ts), one script call per shard.
 */
export function startFleetSlots(
  redis: Redis,
  space: KeySpace,
  workerId: string,
  concurrencyPerShard: number,
  opts: { everyMs?: number } = {},
) {
  const everyMs = opts.everyMs ?? 2_000;
  const ttlMs = everyMs * 4;
  const shards = Array.from({ length: space.shards }, (_, shard) => fairShareKeys(space, shard));
  const member = `${workerId}#${concurrencyPerShard}`;
  const r = redis as Redis & { turnqSlots?: (...a: (string | number)[]) => Promise<number> };
  if (!r.turnqSlots) redis.defineCommand("turnqSlots", { numberOfKeys: 2, lua: slotsScript });
  /** Resolves to the fleet's slots on shard 0 (every shard's, with workers consuming them all). */
  const report = async (ttl: number) => (await Promise.all(shards.map((keys) => r.turnqSlots!(keys.slots, keys.share, member, ttl))))[0]!;
  const beat = () => void report(ttlMs).catch(() => {});
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return {
    /** The first report, so a worker counts before it takes its first drain job. */
    ready: report(ttlMs).catch(() => 0),
    async stop() {
      clearInterval(timer);
      await report(0).catch(() => {});
    },
  };
}
