import { GcraLimiter, type RatePolicy } from '@rgb/kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Edge } from './edge';

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
 * The router's rate limit, one of its edge duties (docs/OVERVIEW.md). When Redis cannot answer, requests go
 * through and the failure is logged and counted: an outage of the limiter must not take the
 * platform offline.
 */
export class RateLimiter {
  private readonly limited: Counter<'audience'>;
  private readonly failures: Counter;
  private readonly gcra: GcraLimiter;

  constructor(private readonly options: RateLimitOptions) {
    this.gcra = new GcraLimiter(options.redis);
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
    let waitMs: number;
    try {
      waitMs = await this.gcra.waitMs(`rgb:rate:${edge.brand.id}:${subject}`, policy);
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
