/**
 * The session mailbox's Lua scripts. Each runs atomically in Redis; together they make the hand-off
 * between "a turn arrives" and "the drain job sees nothing left and ends" race-free.
 */

/**
 * enqueue — record accepted turns and make sure the session has a drain job.
 * KEYS[1] pending set, KEYS[2] drain key
 * ARGV[1] session id, ARGV[2..] turn ids
 * Returns {1, jobId} when the session was idle: the caller must add a drain job with that id.
 * Returns {0, jobId} when a drain job already owns the session (it will see the new turn).
 * A new job is named after the first turn it was created for (`drain-<session>-<turn>`). A turn
 * starts a drain at most once while it is pending (once in the set, it leaves only when finished, and
 * a session is released only with an empty set), so job ids never repeat: a released job and a new
 * one never collide in BullMQ's id de-duplication, and an old job cannot mistake a new drain for its
 * own. SET NX GET (Redis 7) claims the drain key and reads the holder in one command.
 */
export const enqueueScript = `
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
local id = 'drain-' .. ARGV[1] .. '-' .. ARGV[2]
local current = redis.call('SET', KEYS[2], id, 'NX', 'GET')
if current then return {0, current} end
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

/**
 * settle — everything that follows a turn's final write to Postgres, in one call: its closing live
 * events, the notification long-polling requests wait for, forgetting the turn, and (when asked)
 * releasing the session if nothing else is pending.
 * KEYS[1] pending set, KEYS[2] drain key, KEYS[3] the session's event stream
 * ARGV[1] the drain job's id, ARGV[2] turn id, ARGV[3] '1' to release the session when idle,
 * ARGV[4] events channel, ARGV[5] turns-done channel, ARGV[6] done message ('' = none),
 * ARGV[7] stream max length, ARGV[8] stream ttl seconds, ARGV[9..] pairs of (seq or '', event JSON)
 * Returns 1: released; 0: this job keeps the session (turns pending, or no release asked);
 *        -1: this job no longer owns the session.
 * Events and the notification go out whatever the ownership: they describe what Postgres already holds.
 */
export const settleScript = `
if #ARGV >= 9 then
  for i = 9, #ARGV, 2 do
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'turn', ARGV[2], 'seq', ARGV[i], 'e', ARGV[i + 1])
  end
  redis.call('EXPIRE', KEYS[3], ARGV[8])
  redis.call('PUBLISH', ARGV[4], ARGV[2])
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
redis.call('SREM', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if ARGV[3] ~= '1' or redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
`;
