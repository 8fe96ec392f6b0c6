/**
 * The Lua steps of the operation queue (op-queue.ts): each move of an entry (register or resume,
 * try to start, release or pause) is one script, so it is atomic against every other. Entries
 * are JSON in the `<prefix>q:ops` hash, workloads "\n"-joined in `ws`; each workload's sorted set
 * is `<zset prefix><workload>`, named here from the entry (a single Redis, not Redis Cluster).
 */

/** Shared by the scripts: a stored entry's fields. Score and expiry are strings (cjson keeps 14 digits of a number). */
const LIB = `
local function ws(e) local t = {} for w in string.gmatch(e.ws, '[^\\n]+') do t[#t + 1] = w end return t end
local function num(x) return tonumber(x) or 0 end
local function fmt(x) return string.format('%.17g', x) end
`;

/** KEYS[1] ops; ARGV: id, entry JSON, zset prefix, mode ("new" | "resume"). */
export const REGISTER = `${LIB}
local ops, id, zp, mode = KEYS[1], ARGV[1], ARGV[3], ARGV[4]
local e = cjson.decode(ARGV[2])
local cur = redis.call('HGET', ops, id)
if mode == 'new' then
  if cur then return {0, cur} end
else
  if not cur then return {-1, ''} end
  local old = cjson.decode(cur)
  if old.state == 'waiting' and old.job == e.job then return {0, cur} end
  -- Paused; or still running, when the decision came in while its job was saying so (that job's pause is then ignored).
  if old.state ~= 'paused' and old.state ~= 'running' then return {-1, cur} end
  for _, w in ipairs(ws(old)) do redis.call('ZREM', zp .. w, id) end
  e.score = old.score
  e.waited = old.waited
end
local mine = {}
for _, w in ipairs(ws(e)) do mine[w] = true end
local score = num(e.score)
if e.rollback then
  -- the first waiting or paused operation that is not a rollback, on any of its workloads
  local U = nil
  for w, _ in pairs(mine) do
    local m = redis.call('ZRANGE', zp .. w, 0, -1, 'WITHSCORES')
    for j = 1, #m, 2 do
      local raw = m[j] ~= id and redis.call('HGET', ops, m[j])
      if raw then
        local o = cjson.decode(raw)
        if o.state ~= 'running' and not o.rollback then
          local sc = tonumber(m[j + 1])
          if U == nil or sc < U then U = sc end
          break
        end
      end
    end
  end
  if U ~= nil and U <= score then
    local L = U - 1000
    for w, _ in pairs(mine) do
      local b = redis.call('ZREVRANGEBYSCORE', zp .. w, '(' .. fmt(U), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if #b > 0 and b[1] ~= id and tonumber(b[2]) > L then L = tonumber(b[2]) end
    end
    score = (L + U) / 2
  end
end
e.score = fmt(score)
local superseded = {}
if mode == 'new' and e.group ~= '' then
  -- Waiting entries of the same group: one asked for no later than this one (the same
  -- millisecond included: the one registered last wins) is superseded by it; one asked for later
  -- that covers this one's workloads supersedes it (a request that was slow to get here).
  local seen = {}
  for w, _ in pairs(mine) do
    for _, oid in ipairs(redis.call('ZRANGE', zp .. w, 0, -1)) do
      local raw = (not seen[oid]) and oid ~= id and redis.call('HGET', ops, oid)
      seen[oid] = true
      local o = raw and cjson.decode(raw)
      if o and o.group == e.group and o.state == 'waiting' and num(o.score) > score and e.state ~= 'superseded' then
        local theirs = {}
        for _, ow in ipairs(ws(o)) do theirs[ow] = true end
        local covers = true
        for mw, _ in pairs(mine) do if not theirs[mw] then covers = false end end
        if covers then
          e.state = 'superseded'
          e.by = oid
          e.byWhat = o.what
        end
      end
      if o and num(o.score) <= score then
        local covered = o.group == e.group and o.state == 'waiting'
        if covered then for _, ow in ipairs(ws(o)) do if not mine[ow] then covered = false end end end
        if covered then
          o.state = 'superseded'
          o.by = id
          o.byWhat = e.what
          redis.call('HSET', ops, oid, cjson.encode(o))
          for _, ow in ipairs(ws(o)) do redis.call('ZREM', zp .. ow, oid) end
          superseded[#superseded + 1] = cjson.encode(o)
        end
      end
    end
  end
end
local out = cjson.encode(e)
redis.call('HSET', ops, id, out)
-- Superseded on arrival: kept as a tombstone, in no workload's line (the request ends itself).
if e.state ~= 'superseded' then
  for w, _ in pairs(mine) do redis.call('ZADD', zp .. w, e.score, id) end
end
return {1, out, unpack(superseded)}`;

/** KEYS[1] ops; ARGV: id, now (ms), zset prefix, job, dry ("1": change nothing). */
export const TRY_START = `${LIB}
local ops, id, now, zp, job, dry = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5] == '1'
local raw = redis.call('HGET', ops, id)
if not raw then return {'none'} end
local e = cjson.decode(raw)
-- Running already: a retry of its job, past the gate.
if e.state == 'running' then return {'go', raw} end
if e.state ~= 'waiting' then return {e.state, raw} end
if num(e.expiresAt) > 0 and num(e.expiresAt) <= now then return {'expired', raw} end
local behind, seen = {}, {}
for _, w in ipairs(ws(e)) do
  local key = zp .. w
  local before = true
  for _, oid in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if oid == id then before = false
    elseif not seen[oid] then
      local oraw = redis.call('HGET', ops, oid)
      if not oraw then
        if not dry then redis.call('ZREM', key, oid) end
      else
        local o = cjson.decode(oraw)
        local blocks = o.state == 'running'
        if before and o.state == 'paused' then blocks = not e.rollback end
        if before and o.state == 'waiting' then blocks = num(o.expiresAt) == 0 or num(o.expiresAt) > now end
        if blocks then
          seen[oid] = true
          behind[#behind + 1] = oraw
        end
      end
    end
  end
end
if #behind == 0 then
  if dry then return {'go', raw} end
  e.state = 'running'
  e.job = job
  local out = cjson.encode(e)
  redis.call('HSET', ops, id, out)
  return {'go', out}
end
if not dry and not e.waited then
  e.waited = true
  raw = cjson.encode(e)
  redis.call('HSET', ops, id, raw)
end
return {'wait', raw, unpack(behind)}`;

/** KEYS[1] ops; ARGV: id, zset prefix, workloads to keep ("\\n"-joined; "" for none), the pausing job ("" for any). */
export const RELEASE = `${LIB}
local ops, id, zp = KEYS[1], ARGV[1], ARGV[2]
local raw = redis.call('HGET', ops, id)
if not raw then return {} end
local e = cjson.decode(raw)
-- A pause is said by the job that acts for it; a decision may have moved it on meanwhile.
if ARGV[3] ~= '' and ARGV[4] ~= '' and e.job ~= ARGV[4] then return {} end
local keep = {}
for w in string.gmatch(ARGV[3], '[^\\n]+') do keep[w] = true end
local wake, seen = {}, {}
for _, w in ipairs(ws(e)) do
  if not keep[w] then redis.call('ZREM', zp .. w, id) end
  for _, oid in ipairs(redis.call('ZRANGE', zp .. w, 0, -1)) do
    local oraw = (oid ~= id and not seen[oid]) and redis.call('HGET', ops, oid)
    seen[oid] = true
    if oraw then
      local o = cjson.decode(oraw)
      if o.state == 'waiting' then wake[#wake + 1] = o.job end
    end
  end
end
if ARGV[3] == '' then
  redis.call('HDEL', ops, id)
else
  e.ws = ARGV[3]
  e.state = 'paused'
  redis.call('HSET', ops, id, cjson.encode(e))
end
return wake`;
