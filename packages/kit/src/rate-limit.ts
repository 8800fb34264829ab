import type { Redis, Result } from 'ioredis';

/** Requests per minute, and how many may come at once above that pace; 0 per minute turns the limit off. */
export interface RatePolicy {
  perMinute: number;
  burst: number;
}

/**
 * GCRA (a token bucket kept as one "theoretical arrival time" per key), on Redis's clock so every
 * instance shares one count: a request is let in when it would not arrive before `burst`
 * intervals ahead of the pace. Returns the milliseconds to wait, 0 when let in.
 */
const GCRA = `
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local wait = next_tat - tolerance - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now))
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rateLimitGcra(key: string, intervalMs: number, toleranceMs: number): Result<number, Context>;
  }
}

/** The rate limits of the router and the RGS: one GCRA per key, shared by every instance through Redis. */
export class GcraLimiter {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('rateLimitGcra', { numberOfKeys: 1, lua: GCRA });
  }

  /** How long `key` must wait under `policy` (0: let in, and counted). Throws when Redis cannot answer. */
  async waitMs(key: string, policy: RatePolicy): Promise<number> {
    if (policy.perMinute === 0) return 0;
    const intervalMs = 60_000 / policy.perMinute;
    return this.redis.rateLimitGcra(key, intervalMs, intervalMs * policy.burst);
  }
}
