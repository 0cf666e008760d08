/**
 * Lua scripts of the dead-worker sweep (dead-worker-sweep.ts). They read BullMQ's own keys of the
 * drain queue: the `active` list, each active job's `<job key>:lock` (value: the holding worker's
 * token, `<worker id>:<n>`) and the `stalled` set that BullMQ's stalled check drains.
 */

/**
 * lockOwners — which workers hold the active jobs.
 * KEYS[1] the queue's active list
 * ARGV[1] the queue's job key prefix (`queue.toKey('')`)
 * Returns the distinct worker ids found in the locks of active jobs.
 */
export const lockOwnersScript = `
local seen, owners = {}, {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local token = redis.call('GET', ARGV[1] .. id .. ':lock')
  local owner = token and string.match(token, '^(.*):%d+$')
  if owner and not seen[owner] then
    seen[owner] = true
    owners[#owners + 1] = owner
  end
end
return owners
`;

/**
 * releaseDead — hand the jobs of dead workers to BullMQ's stalled check.
 * KEYS[1] the queue's active list, KEYS[2] its stalled set
 * ARGV[1] the queue's job key prefix, ARGV[2..] ids of workers known to be dead
 * For every active job whose lock is still held by one of them: deletes the lock and marks the job
 * stalled, so BullMQ's next stalled check (every STALLED_INTERVAL_MS) moves it back to wait, exactly
 * as if the lock had expired. A lock another worker holds by now is left alone (the check and the
 * delete are one atomic step). Returns the ids of the jobs released.
 */
export const releaseDeadScript = `
local dead = {}
for i = 2, #ARGV do dead[ARGV[i]] = true end
local released = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local lockKey = ARGV[1] .. id .. ':lock'
  local token = redis.call('GET', lockKey)
  local owner = token and string.match(token, '^(.*):%d+$')
  if owner and dead[owner] then
    redis.call('DEL', lockKey)
    redis.call('SADD', KEYS[2], id)
    released[#released + 1] = id
  end
end
return released
`;
