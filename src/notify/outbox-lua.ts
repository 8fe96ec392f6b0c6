/**
 * The outbox's Redis steps, each one Lua script so that it is atomic against every other
 * process draining or filling the same channel (src/notify/outbox.ts says what the queue is).
 * Keys and arguments are named where each script is called.
 */

/** Upsert: replace the content of the waiting item for the key, or append a new one. */
export const ENQUEUE_UPSERT = `
local pending = redis.call('GET', KEYS[2])
if pending and redis.call('EXISTS', ARGV[5] .. pending) == 1 then
  -- The new item's id (a fresh UUID, first in the JSON) becomes the waiting item's id.
  local json = ARGV[2]
  local s, e = string.find(json, ARGV[1], 1, true)
  redis.call('SET', ARGV[5] .. pending, string.sub(json, 1, s - 1) .. pending .. string.sub(json, e + 1))
  return 0
end
redis.call('SET', ARGV[5] .. ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
return 1`;

/** Post: append once per id (a repeated enqueue of the same id is ignored). */
export const ENQUEUE_POST = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 172800) == false then return 0 end
redis.call('SET', ARGV[5] .. ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
return 1`;

/** Done with the head: pop it if it is still the head, push follow-ups in front, schedule the next turn. */
export const COMPLETE = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
redis.call('DEL', ARGV[4] .. ARGV[1])
local n = tonumber(ARGV[5])
for i = n, 1, -1 do
  local id = ARGV[5 + (2 * i) - 1]
  redis.call('SET', ARGV[4] .. id, ARGV[5 + (2 * i)])
  redis.call('LPUSH', KEYS[1], id)
end
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
end
return 1`;

/** Claim an upsert for sending: later upserts of its key start a new item instead of changing this one. */
export const CLAIM_UPSERT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('GET', ARGV[2] .. ARGV[1])`;

export const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
