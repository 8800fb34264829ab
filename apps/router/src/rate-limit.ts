import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Edge } from './edge';

/** Requests per minute, and how many may come at once above that pace; 0 per minute turns the limit off. */
export interface RatePolicy {
  perMinute: number;
  burst: number;
}

export interface RateLimitOptions {
  redis: Redis;
  /** Per client address and brand, for requests without a token (register, login, public lists). */
  anonymous: RatePolicy;
  /** Per signed-in caller (player, agent or staff) and brand. */
  caller: RatePolicy;
  registry: Registry;
  log: Logger;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * GCRA (a token bucket kept as one "theoretical arrival time" per key), on Redis's clock so every
 * router instance shares one count: a request is let in when it would not arrive before
 * `burst` intervals ahead of the pace. Returns the milliseconds to wait, 0 when let in.
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

/**
 * The router's rate limit (DESIGN.md "edge duties"). When Redis cannot answer, requests go
 * through and the failure is logged and counted: an outage of the limiter must not take the
 * platform offline.
 */
export class RateLimiter {
  private readonly limited: Counter<'audience'>;
  private readonly failures: Counter;

  constructor(private readonly options: RateLimitOptions) {
    options.redis.defineCommand('rateLimitGcra', { numberOfKeys: 1, lua: GCRA });
    this.limited = new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused by the rate limit, by audience',
      labelNames: ['audience'] as const,
      registers: [options.registry],
    });
    this.failures = new Counter({
      name: 'rate_limit_check_failures_total',
      help: 'Requests let through because the rate limit could not reach Redis',
      registers: [options.registry],
    });
  }

  async check(edge: Edge, clientAddress: string, log: Logger): Promise<RateDecision> {
    const audience = edge.caller?.kind ?? 'anonymous';
    const policy = edge.caller ? this.options.caller : this.options.anonymous;
    if (policy.perMinute === 0) return { allowed: true };
    const subject = edge.caller ? `${edge.caller.kind}:${edge.caller.id}` : `ip:${clientAddress}`;
    const intervalMs = 60_000 / policy.perMinute;
    let waitMs: number;
    try {
      waitMs = await this.options.redis.rateLimitGcra(`rgb:rate:${edge.brand.id}:${subject}`, intervalMs, intervalMs * policy.burst);
    } catch (error) {
      this.failures.inc();
      log.error({ err: error }, 'rate limit check failed; letting the request through');
      return { allowed: true };
    }
    if (waitMs <= 0) return { allowed: true };
    this.limited.inc({ audience });
    return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }
}
