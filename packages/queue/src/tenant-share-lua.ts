/**
 * Fair scheduling between tenants, as Lua functions the mailbox scripts include (mailbox-scripts.ts).
 *
 * A tenant may have at most its *share* of drain jobs in BullMQ (wait + active + delayed); its other
 * busy sessions wait, parked, in a list of its own, and are promoted (given a drain job) by the same
 * script that releases or parks one of its sessions. So another tenant's new session is never queued
 * behind a flood: BullMQ's wait list holds at most about one fleet's worth of slots of any tenant.
 *
 * share = max(1, ceil(slots * w / W), slots - others)
 *   slots  worker slots of the live fleet (fleet-slots.ts; 0 = unknown: no limit, nothing parks)
 *   w, W   the tenant's weight, and the sum of the weights of tenants with busy sessions
 *   others drain jobs of every other tenant in BullMQ
 * The first term is the weighted fair share; the last lets a tenant use the slots the others leave
 * unused (an idle tenant's share goes to whoever has work), and gives them back at its next slice
 * boundary once another tenant needs them (the `yield` script parks an over-share session).
 *
 * State (keys.ts): tenant hash T {sched, parked, w}, tenant list P (parked session ids), fleet hash
 * F {slots, weights, sched, parked, seq}, set PT (tenants with parked sessions, for the reconciler).
 * A parked session keeps its drain key, holding `parked:<job id>`: enqueue sees the session is taken
 * (new turns join it), and promotion gives it a fresh job id (`<old id without -pN>-p<seq>`), so it
 * never collides with the job it was parked from.
 */
export const tenantShareLua = `
local function capOf(F, sched, w)
  local f = redis.call('HMGET', F, 'slots', 'weights', 'sched')
  local slots = tonumber(f[1]) or 0
  if slots <= 0 then return 1e15 end
  local weights = math.max(tonumber(f[2]) or 0, w)
  local others = (tonumber(f[3]) or 0) - sched
  return math.max(1, math.ceil(slots * w / weights), slots - others)
end

-- Gives parked sessions of the tenant drain jobs while it is under its share (at most 32 a call).
-- F's sched must already count the tenant's drains as \`sched\`. Returns the promoted
-- {session, job id, ...}, and the tenant's new sched and parked counts.
local function promote(F, PT, P, tenant, sched, parked, w, dhead, dtail)
  local out = {}
  if parked <= 0 then return out, sched, parked end
  local cap = capOf(F, sched, w)
  local took = 0
  while sched < cap and parked > 0 and took < 32 do
    local sid = redis.call('LPOP', P)
    if not sid then parked = 0 break end
    parked = parked - 1
    took = took + 1
    local dk = dhead .. sid .. dtail
    local v = redis.call('GET', dk)
    if v and string.sub(v, 1, 7) == 'parked:' then
      local base = string.gsub(string.sub(v, 8), '%-p%d+$', '')
      local id = base .. '-p' .. redis.call('HINCRBY', F, 'seq', 1)
      redis.call('SET', dk, id)
      sched = sched + 1
      out[#out + 1] = sid
      out[#out + 1] = id
    end
  end
  if took > 0 then redis.call('HINCRBY', F, 'parked', -took) end
  if #out > 0 then redis.call('HINCRBY', F, 'sched', #out / 2) end
  if parked == 0 then redis.call('SREM', PT, tenant) end
  return out, sched, parked
end

-- A drain job of the tenant ended (its drain key is gone): uncount it, promote parked sessions.
local function release(T, P, F, PT, tenant, dhead, dtail)
  local t = redis.call('HMGET', T, 'sched', 'parked', 'w')
  local was = tonumber(t[1]) or 0
  -- A job queued before fair scheduling counted it: nothing to uncount.
  if was <= 0 then return {} end
  local w = tonumber(t[3]) or 1
  redis.call('HINCRBY', F, 'sched', -1)
  local out, sched, parked = promote(F, PT, P, tenant, was - 1, tonumber(t[2]) or 0, w, dhead, dtail)
  redis.call('HSET', T, 'sched', sched, 'parked', parked)
  if sched + parked == 0 then redis.call('HINCRBY', F, 'weights', -w) end
  return out
end
`;
