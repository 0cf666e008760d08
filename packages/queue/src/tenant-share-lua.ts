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
 * State (keys.ts): one fleet hash F, read and written once per script: `slots`, `weights`, `sched`
 * (drain jobs in BullMQ), `parked` (sessions parked), `seq` (promotion counter), and per tenant
 * `t:<id>:s`, `t:<id>:p`, `t:<id>:w` (its drain jobs, parked sessions, weight); the tenant's list P of
 * parked session ids; the set PT of tenants with parked sessions (for the reconciler).
 * A parked session keeps its drain key, holding `parked:<job id>`: enqueue sees the session is taken
 * (new turns join it), and promotion gives it a fresh job id (`<old id without -pN>-p<seq>`), so it
 * never collides with the job it was parked from.
 */
export const tenantShareLua = `
local function num(v) return tonumber(v) or 0 end

-- The fleet hash's fields of the fleet and of one tenant, as numbers.
local function readShare(F, tenant)
  local tf = 't:' .. tenant .. ':'
  local v = redis.call('HMGET', F, tf .. 's', tf .. 'p', tf .. 'w', 'slots', 'weights', 'sched', 'parked', 'seq')
  return { tf = tf, sched = num(v[1]), parked = num(v[2]), w = tonumber(v[3]), slots = num(v[4]),
    weights = num(v[5]), fsched = num(v[6]), fparked = num(v[7]), seq = num(v[8]) }
end

local function writeShare(F, s)
  redis.call('HSET', F, s.tf .. 's', s.sched, s.tf .. 'p', s.parked, s.tf .. 'w', s.w or 1,
    'weights', s.weights, 'sched', s.fsched, 'parked', s.fparked, 'seq', s.seq)
end

local function capOf(s)
  if s.slots <= 0 then return 1e15 end
  local w = s.w or 1
  return math.max(1, math.ceil(s.slots * w / math.max(s.weights, w)), s.slots - (s.fsched - s.sched))
end

-- Parks a session of the tenant (its drain key already marked parked).
local function park(s, P, PT, tenant, sid)
  redis.call('RPUSH', P, sid)
  redis.call('SADD', PT, tenant)
  s.parked = s.parked + 1
  s.fparked = s.fparked + 1
end

-- Gives parked sessions of the tenant drain jobs while it is under its share (at most 32 a call).
-- Returns the promoted {session, job id, ...}.
local function promote(s, P, PT, tenant, dhead, dtail)
  local out = {}
  if s.parked <= 0 then return out end
  local cap = capOf(s)
  local took = 0
  while s.sched < cap and s.parked > 0 and took < 32 do
    local sid = redis.call('LPOP', P)
    if not sid then s.fparked = s.fparked - s.parked s.parked = 0 break end
    s.parked = s.parked - 1
    s.fparked = s.fparked - 1
    took = took + 1
    local dk = dhead .. sid .. dtail
    local v = redis.call('GET', dk)
    if v and string.sub(v, 1, 7) == 'parked:' then
      s.seq = s.seq + 1
      local id = string.gsub(string.sub(v, 8), '%-p%d+$', '') .. '-p' .. s.seq
      redis.call('SET', dk, id)
      s.sched = s.sched + 1
      s.fsched = s.fsched + 1
      out[#out + 1] = sid
      out[#out + 1] = id
    end
  end
  if s.parked <= 0 then redis.call('SREM', PT, tenant) end
  return out
end

-- A drain job of the tenant ended (its drain key is gone): uncount it, promote parked sessions.
local function release(F, P, PT, tenant, dhead, dtail)
  local s = readShare(F, tenant)
  -- A job queued before fair scheduling counted nothing: nothing to uncount.
  if s.sched <= 0 then return {} end
  s.sched = s.sched - 1
  s.fsched = s.fsched - 1
  local out = promote(s, P, PT, tenant, dhead, dtail)
  if s.sched + s.parked == 0 then s.weights = s.weights - (s.w or 1) end
  writeShare(F, s)
  return out
end
`;
