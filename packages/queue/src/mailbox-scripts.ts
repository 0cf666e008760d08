/**
 * The session mailbox's Lua scripts. Each runs atomically in Redis; together they make the hand-off
 * between "a turn arrives" and "the drain job sees nothing left and ends" race-free.
 */

/**
 * enqueue — record accepted turns and make sure the session has a drain job.
 * KEYS[1] pending set, KEYS[2] drain key, KEYS[3] generation counter
 * ARGV[1] session id, ARGV[2..] turn ids
 * Returns {1, jobId} when the session was idle: the caller must add a drain job with that id.
 * Returns {0, jobId} when a drain job already owns the session (it will see the new turn).
 */
export const enqueueScript = `
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
local current = redis.call('GET', KEYS[2])
if current then return {0, current} end
local gen = redis.call('INCR', KEYS[3])
local id = 'drain-' .. ARGV[1] .. '-' .. gen
redis.call('SET', KEYS[2], id)
return {1, id}
`;

/**
 * finish — the drain job found no work; end it only if that is still true.
 * KEYS[1] pending set, KEYS[2] drain key
 * ARGV[1] the drain job's id
 * Returns 1: released (the session is idle; the next enqueue starts a new job).
 *         0: turns arrived meanwhile; keep draining.
 *        -1: this job no longer owns the session (another job took over after a Redis loss).
 */
export const finishScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
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
