import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createRequestRedis, redisReady, type CatalogBrand, type RatePolicy } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../src/edge';
import { RateLimiter } from '../src/rate-limit';

const log = createLogger('rate-limit-test', 'silent');
let redis: Redis;
let deadRedis: Redis;
beforeAll(async () => {
  redis = createRequestRedis('redis://127.0.0.1:6379');
  await redisReady(redis);
  deadRedis = createRequestRedis('redis://127.0.0.1:1');
  deadRedis.on('error', () => undefined); // expected: nothing listens there
});
afterAll(() => {
  redis.disconnect();
  deadRedis.disconnect();
});

function limiter(anonymous: RatePolicy, caller: RatePolicy = anonymous, on = redis) {
  const registry = new Registry();
  return { limiter: new RateLimiter({ redis: on, anonymous, caller, registry, log }), registry };
}

/** A brand of its own per test, so no two tests share a key. */
function brand(): CatalogBrand {
  return { id: randomUUID(), code: 'acme', currency: 'USD', status: 'ACTIVE' } as CatalogBrand;
}
const anonymousEdge = (of = brand()): Edge => ({ brand: of, hostBrand: of, caller: null, expiresAt: null });
const playerEdge = (of = brand(), id = randomUUID()): Edge => ({ brand: of, hostBrand: of, caller: { kind: 'player', id, brandId: of.id, sessionId: randomUUID() }, expiresAt: Date.now() + 60_000 });

async function decisions(rate: RateLimiter, edge: Edge, address: string, count: number) {
  const results = [];
  for (let index = 0; index < count; index++) results.push(await rate.check(edge, address, log));
  return results.map((decision) => decision.allowed);
}

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the seconds to wait', async () => {
    const { limiter: rate } = limiter({ perMinute: 60, burst: 3 });
    const edge = anonymousEdge();
    expect(await decisions(rate, edge, '10.0.0.1', 3)).toEqual([true, true, true]);
    const refused = await rate.check(edge, '10.0.0.1', log);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('counts each client address, and each brand, on its own', async () => {
    const { limiter: rate } = limiter({ perMinute: 1, burst: 1 });
    const acme = brand();
    expect(await decisions(rate, anonymousEdge(acme), '10.0.0.1', 2)).toEqual([true, false]);
    expect(await decisions(rate, anonymousEdge(acme), '10.0.0.2', 1)).toEqual([true]);
    expect(await decisions(rate, anonymousEdge(brand()), '10.0.0.1', 1)).toEqual([true]);
  });

  it('counts a signed-in caller by who it is, whatever its address, with the caller policy', async () => {
    const { limiter: rate } = limiter({ perMinute: 1, burst: 1 }, { perMinute: 1, burst: 2 });
    const acme = brand();
    const player = randomUUID();
    expect(await rate.check(playerEdge(acme, player), '10.0.0.1', log)).toEqual({ allowed: true });
    expect(await rate.check(playerEdge(acme, player), '10.0.0.2', log)).toEqual({ allowed: true });
    expect((await rate.check(playerEdge(acme, player), '10.0.0.3', log)).allowed).toBe(false);
    expect(await rate.check(playerEdge(acme), '10.0.0.1', log)).toEqual({ allowed: true });
  });

  it('lets requests in again at the policy pace', async () => {
    const { limiter: rate } = limiter({ perMinute: 600, burst: 1 }); // one per 100 ms
    const edge = anonymousEdge();
    expect(await decisions(rate, edge, '10.0.0.1', 2)).toEqual([true, false]);
    await sleep(120);
    expect(await decisions(rate, edge, '10.0.0.1', 2)).toEqual([true, false]);
  });

  it('is off at 0 per minute', async () => {
    const { limiter: rate } = limiter({ perMinute: 0, burst: 1 });
    expect(await decisions(rate, anonymousEdge(), '10.0.0.1', 50)).toEqual(Array(50).fill(true));
  });

  it('lets requests through and counts the failure when Redis cannot answer', async () => {
    const { limiter: rate, registry } = limiter({ perMinute: 1, burst: 1 }, { perMinute: 1, burst: 1 }, deadRedis);
    expect(await decisions(rate, anonymousEdge(), '10.0.0.1', 2)).toEqual([true, true]);
    expect(await registry.getSingleMetricAsString('rate_limit_check_failures_total')).toMatch(/rate_limit_check_failures_total 2/);
  });
});
