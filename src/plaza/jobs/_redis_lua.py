"""The Lua scripts that make each Redis queue operation atomic.

Redis runs a script without interleaving any other command, so a claim that
reads the due set and moves jobs to the leased set cannot race another claim.
Every time is an argument from the injected clock; no script reads ``TIME``.

Keys, all under the queue's prefix ``P`` (give it a ``{hash tag}`` to keep them
in one Redis Cluster slot):

    P:seq           counter behind job ids (zero-padded hex, so ties sort FIFO)
    P:job:<id>      hash: the job's fields
    P:keys          hash: idempotency key -> job id (kept after the job is done)
    P:ready         zset: pending job ids by run-at
    P:leased        zset: running job ids by lease expiry
    P:dead          zset: dead job ids by time of death
    P:counts        hash: ``done`` count (done jobs are in no set)
    P:sweeps        hash: sweep name -> interval; P:sweep_payloads: name -> payload
    P:sweep_next    zset: sweep name -> next run
"""

from __future__ import annotations

__all__ = ["CLAIM", "COMPLETE", "ENQUEUE", "FAIL", "REQUEUE", "SCHEDULE"]

_ENQUEUE_FUNCTION = """
local function enqueue(p, name, payload, key, run_at, max_attempts)
  if key ~= '' then
    local existing = redis.call('HGET', p .. ':keys', key)
    if existing then return existing end
  end
  local id = string.format('%016x', redis.call('INCR', p .. ':seq'))
  redis.call('HSET', p .. ':job:' .. id, 'id', id, 'name', name, 'payload', payload,
    'key', key, 'state', 'pending', 'run_at', run_at, 'attempts', 0,
    'max_attempts', max_attempts, 'error', '', 'token', '')
  if key ~= '' then redis.call('HSET', p .. ':keys', key, id) end
  redis.call('ZADD', p .. ':ready', run_at, id)
  return id
end
"""

#: ARGV: prefix, name, payload, key ('' for none), run_at, max_attempts -> the job's fields
ENQUEUE = (
    _ENQUEUE_FUNCTION
    + """
local p = ARGV[1]
local id = enqueue(p, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return redis.call('HGETALL', p .. ':job:' .. id)
"""
)

#: ARGV: prefix, now, lease_until, limit, token_base, sweep_max_attempts -> list of fields
CLAIM = (
    _ENQUEUE_FUNCTION
    + """
local p, now, lease_until = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local due_sweeps = redis.call('ZRANGEBYSCORE', p .. ':sweep_next', '-inf', now)
for _, name in ipairs(due_sweeps) do
  local due = tonumber(redis.call('ZSCORE', p .. ':sweep_next', name))
  local every = tonumber(redis.call('HGET', p .. ':sweeps', name))
  local payload = redis.call('HGET', p .. ':sweep_payloads', name)
  local slot = string.format('%d', due)
  enqueue(p, name, payload, 'sweep:' .. name .. ':' .. slot, slot, ARGV[6])
  local upcoming = due + every * (math.floor((now - due) / every) + 1)
  redis.call('ZADD', p .. ':sweep_next', string.format('%d', upcoming), name)
end
local expired = redis.call('ZRANGEBYSCORE', p .. ':leased', '-inf', now)
for _, id in ipairs(expired) do
  local job = p .. ':job:' .. id
  redis.call('ZREM', p .. ':leased', id)
  local attempts = redis.call('HGET', job, 'attempts')
  if tonumber(attempts) >= tonumber(redis.call('HGET', job, 'max_attempts')) then
    redis.call('HSET', job, 'state', 'dead', 'token', '',
      'error', 'lease expired on attempt ' .. attempts)
    redis.call('ZADD', p .. ':dead', now, id)
  else
    redis.call('HSET', job, 'state', 'pending', 'token', '')
    redis.call('ZADD', p .. ':ready', redis.call('HGET', job, 'run_at'), id)
  end
end
local ids = redis.call('ZRANGEBYSCORE', p .. ':ready', '-inf', now, 'LIMIT', 0, ARGV[4])
local leases = {}
for i, id in ipairs(ids) do
  local job = p .. ':job:' .. id
  redis.call('ZREM', p .. ':ready', id)
  redis.call('ZADD', p .. ':leased', lease_until, id)
  redis.call('HINCRBY', job, 'attempts', 1)
  redis.call('HSET', job, 'state', 'running', 'token', ARGV[5] .. ':' .. i)
  leases[i] = redis.call('HGETALL', job)
end
return leases
"""
)

_HELD = """
local p, id, token = ARGV[1], ARGV[2], ARGV[3]
local job = p .. ':job:' .. id
if token == '' or redis.call('HGET', job, 'token') ~= token
    or redis.call('HGET', job, 'state') ~= 'running' then
  return false
end
redis.call('ZREM', p .. ':leased', id)
"""

#: ARGV: prefix, id, token -> 1, or nil if the lease is not held
COMPLETE = (
    _HELD
    + """
redis.call('HSET', job, 'state', 'done', 'token', '')
redis.call('HINCRBY', p .. ':counts', 'done', 1)
return 1
"""
)

#: ARGV: prefix, id, token, now, error, retry_at ('' to dead-letter) -> fields, or nil
FAIL = (
    _HELD
    + """
local now, retry_at = ARGV[4], ARGV[6]
if retry_at == '' then
  redis.call('HSET', job, 'state', 'dead', 'token', '', 'error', ARGV[5])
  redis.call('ZADD', p .. ':dead', now, id)
else
  redis.call('HSET', job, 'state', 'pending', 'token', '', 'error', ARGV[5], 'run_at', retry_at)
  redis.call('ZADD', p .. ':ready', retry_at, id)
end
return redis.call('HGETALL', job)
"""
)

#: ARGV: prefix, id, now -> fields, or nil if the job is not dead
REQUEUE = """
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local job = p .. ':job:' .. id
if redis.call('ZREM', p .. ':dead', id) == 0 then return false end
redis.call('HSET', job, 'state', 'pending', 'attempts', 0, 'run_at', now)
redis.call('ZADD', p .. ':ready', now, id)
return redis.call('HGETALL', job)
"""

#: ARGV: prefix, name, every, payload, first_run -> the sweep's next run
SCHEDULE = """
local p, name = ARGV[1], ARGV[2]
redis.call('HSET', p .. ':sweeps', name, ARGV[3])
redis.call('HSET', p .. ':sweep_payloads', name, ARGV[4])
redis.call('ZADD', p .. ':sweep_next', 'NX', ARGV[5], name)
return redis.call('ZSCORE', p .. ':sweep_next', name)
"""
