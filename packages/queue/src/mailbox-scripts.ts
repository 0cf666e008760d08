/**
 * The session mailbox's Lua scripts. Each runs atomically in Redis; together they make the hand-off
 * between "a turn arrives" and "the drain job sees nothing left and ends" race-free.
 *
 * Fair scheduling between tenants (tenant-share-lua.ts) rides on the same scripts: KEYS named
 * F, P, PT below are the fleet's share hash, the tenant's list of parked sessions and the set of
 * tenants with parked sessions (keys.ts); `dhead`/`dtail` build a session's drain key from its id.
 * Scripts that release a session return the sessions they promoted, as {session, job id} pairs
 * after their status: the caller adds those drain jobs (the reconciler repairs a crash in between).
 */
import { tenantShareLua } from "./tenant-share-lua.ts";

/**
 * enqueue — record accepted turns and make sure the session has a drain job (or a parked place).
 * KEYS[1] pending set, KEYS[2] drain key, KEYS[3] F, KEYS[4] P, KEYS[5] PT
 * ARGV[1] session id, ARGV[2] tenant id, ARGV[3] tenant weight ('' = keep the stored one, else 1),
 * ARGV[4..] turn ids
 * Returns {1, jobId} when the session was idle: the caller must add a drain job with that id.
 * Returns {0, jobId} when a drain job already owns the session (it will see the new turn).
 * Returns {2, 'parked:'..jobId} when the session waits for its tenant's share (now, or since before):
 * no job to add; a release of the tenant's promotes it.
 * A new job is named after the first turn it was created for (`drain-<session>-<turn>`). A turn
 * starts a drain at most once while it is pending (once in the set, it leaves only when finished, and
 * a session is released only with an empty set), so job ids never repeat: a released job and a new
 * one never collide in BullMQ's id de-duplication, and an old job cannot mistake a new drain for its
 * own. SET NX GET (Redis 7) claims the drain key and reads the holder in one command.
 */
export const enqueueScript = `${tenantShareLua}
for i = 4, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
local id = 'drain-' .. ARGV[1] .. '-' .. ARGV[4]
local current = redis.call('SET', KEYS[2], id, 'NX', 'GET')
if current then
  if string.sub(current, 1, 7) == 'parked:' then return {2, current} end
  return {0, current}
end
local s = readShare(KEYS[3], ARGV[2])
local w = tonumber(ARGV[3]) or s.w or 1
if s.sched + s.parked == 0 then s.weights = s.weights + w
elseif s.w and s.w ~= w then s.weights = s.weights + w - s.w end
s.w = w
if s.sched > 0 and s.sched >= capOf(s) then
  redis.call('SET', KEYS[2], 'parked:' .. id)
  park(s, KEYS[4], KEYS[5], ARGV[2], ARGV[1])
  writeShare(KEYS[3], s)
  return {2, 'parked:' .. id}
end
s.sched = s.sched + 1
s.fsched = s.fsched + 1
writeShare(KEYS[3], s)
return {1, id}
`;

/**
 * finish — the drain job found no work; end it only if that is still true.
 * KEYS[1] pending set, KEYS[2] drain key, KEYS[3] F, KEYS[4] P, KEYS[5] PT
 * ARGV[1] the drain job's id, ARGV[2] tenant id, ARGV[3] dhead, ARGV[4] dtail
 * Returns {1, promoted…}: released (the session is idle; the next enqueue starts a new job).
 *         {0}: turns arrived meanwhile; keep draining.
 *        {-1}: this job no longer owns the session (another job took over after a Redis loss).
 */
export const finishScript = `${tenantShareLua}
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {-1} end
if redis.call('SCARD', KEYS[1]) > 0 then return {0} end
redis.call('DEL', KEYS[2])
local out = release(KEYS[3], KEYS[4], KEYS[5], ARGV[2], ARGV[3], ARGV[4])
table.insert(out, 1, 1)
return out
`;

/**
 * yield — a drain job ends its slice (it ran TURNS_PER_SLICE turns while its worker was full).
 * KEYS[1] drain key, KEYS[2] F, KEYS[3] P, KEYS[4] PT
 * ARGV[1] the drain job's id, ARGV[2] session id, ARGV[3] tenant id, ARGV[4] dhead, ARGV[5] dtail
 * Returns {0, promoted…}: the session is parked (the caller ends the job): its tenant is over its
 *         share, or other sessions of the tenant are parked (then the oldest takes this one's place,
 *         so a tenant's sessions take turns within its share as sessions always did in the queue).
 *         {1}: the caller re-queues the job at the tail.
 *        {-1}: this job no longer owns the session.
 */
export const yieldScript = `${tenantShareLua}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local s = readShare(KEYS[2], ARGV[3])
if s.sched <= 0 or (s.parked == 0 and s.sched <= capOf(s)) then return {1} end
redis.call('SET', KEYS[1], 'parked:' .. ARGV[1])
s.sched = s.sched - 1
s.fsched = s.fsched - 1
park(s, KEYS[3], KEYS[4], ARGV[3], ARGV[2])
local out = promote(s, KEYS[3], KEYS[4], ARGV[3], ARGV[4], ARGV[5])
writeShare(KEYS[2], s)
table.insert(out, 1, 0)
return out
`;

/**
 * topUp — promote a tenant's parked sessions while it is under its share. The reconciler runs it for
 * every tenant with parked sessions, so none is stranded when the share grows without a release of
 * the tenant's own (a new worker, another tenant going idle) or when a crash lost a promotion.
 * KEYS[1] F, KEYS[2] P, KEYS[3] PT
 * ARGV[1] tenant id, ARGV[2] dhead, ARGV[3] dtail
 * Returns the promoted {session, job id, …}.
 */
export const topUpScript = `${tenantShareLua}
local s = readShare(KEYS[1], ARGV[1])
if s.parked <= 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  return {}
end
local out = promote(s, KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
writeShare(KEYS[1], s)
return out
`;

/**
 * ack — forget turns that are durably finished.
 * KEYS[1] pending set, KEYS[2] drain key
 * ARGV[1] the drain job's id, ARGV[2..] turn ids
 * Returns 1 while the job still owns the session, 0 otherwise.
 */
export const ackScript = `
for i = 2, #ARGV do redis.call('SREM', KEYS[1], ARGV[i]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then return 1 end
return 0
`;

/**
 * settle — everything that follows a turn's final write to Postgres, in one call: its closing live
 * events, the notification long-polling requests wait for, forgetting the turn, and (when asked)
 * releasing the session if nothing else is pending.
 * KEYS[1] pending set, KEYS[2] drain key, KEYS[3] the session's event stream, KEYS[4] F, KEYS[5] P,
 * KEYS[6] PT
 * ARGV[1] the drain job's id, ARGV[2] turn id, ARGV[3] '1' to release the session when idle,
 * ARGV[4] events channel, ARGV[5] turns-done channel, ARGV[6] done message ('' = none),
 * ARGV[7] stream max length, ARGV[8] stream ttl seconds, ARGV[9] tenant id, ARGV[10] dhead,
 * ARGV[11] dtail, ARGV[12] the closing events as one batch (session-events.ts, '' = none)
 * Returns {1, promoted…}: released; {0}: this job keeps the session (turns pending, or no release
 * asked); {-1}: this job no longer owns the session.
 * Events and the notification go out whatever the ownership: they describe what Postgres already holds.
 * The closing events (the last delta, the appended messages, the final status) are one stream entry:
 * one XADD and one trim instead of one each (readers split it, event-reader.ts).
 * The done message names the session (turnDoneMessage), and every API process's event reader wakes
 * that session's readers on it, so with a done message the session's own nudge is not sent.
 */
export const settleScript = `${tenantShareLua}
if ARGV[12] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'turn', ARGV[2], 'es', ARGV[12])
  redis.call('EXPIRE', KEYS[3], ARGV[8])
  if ARGV[6] == '' then redis.call('PUBLISH', ARGV[4], ARGV[2]) end
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
redis.call('SREM', KEYS[1], ARGV[2])
if ARGV[3] == '1' and redis.call('SCARD', KEYS[1]) == 0 then
  -- Read and delete the drain key in one command; one that is not this job's goes back as it was
  -- (it never has an expiry).
  local owner = redis.call('GETDEL', KEYS[2])
  if owner ~= ARGV[1] then
    if owner then redis.call('SET', KEYS[2], owner) end
    return {-1}
  end
  local out = release(KEYS[4], KEYS[5], KEYS[6], ARGV[9], ARGV[10], ARGV[11])
  table.insert(out, 1, 1)
  return out
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {-1} end
return {0}
`;
