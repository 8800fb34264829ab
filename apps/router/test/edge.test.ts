import { randomUUID } from 'node:crypto';
import { adminSubgraph } from '@rgb/admin';
import { BrandCatalog, createLogger, createRequestRedis, redisReady, SessionRevocations } from '@rgb/kit';
import { startSeededTestSubgraph, type SeededTestSubgraph } from '@rgb/kit/testing';
import type { Redis } from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeRefusal, resolveEdge, type BrandEnforcement, type EdgeOptions } from '../src/edge';
import { StaffAccessCache } from '../src/staff-access';

const log = createLogger('edge-test', 'silent');
let admin: SeededTestSubgraph;
let catalog: BrandCatalog;
let staffAccess: StaffAccessCache;
let redis: Redis;
let deadRedis: Redis;

beforeAll(async () => {
  admin = await startSeededTestSubgraph(adminSubgraph);
  catalog = new BrandCatalog({ adminUrl: admin.url, redisUrl: 'redis://127.0.0.1:6379', serviceName: 'test', tokens: admin.deps.serviceTokens, log });
  await catalog.start();
  staffAccess = new StaffAccessCache({ adminUrl: admin.url, redisUrl: 'redis://127.0.0.1:6379', tokens: admin.deps.serviceTokens, log });
  await staffAccess.start();
  redis = createRequestRedis('redis://127.0.0.1:6379');
  // A fail-fast client refuses commands until connected; on a busy machine that takes a while.
  await redisReady(redis);
  deadRedis = createRequestRedis('redis://127.0.0.1:1');
  deadRedis.on('error', () => undefined); // expected: nothing listens there
});
afterAll(async () => {
  await catalog?.stop();
  await staffAccess?.stop();
  redis?.disconnect();
  deadRedis?.disconnect();
  await admin?.close();
});

function edgeOptions(enforcement: BrandEnforcement, revocationsRedis = redis) {
  const registry = new Registry();
  const options: EdgeOptions = {
    catalog,
    userTokens: admin.deps.userTokens,
    enforcement,
    mismatches: new Counter({ name: 'm', help: 'm', labelNames: ['mode', 'audience'] as const, registers: [registry] }),
    revocations: new SessionRevocations(revocationsRedis, 60),
    revocationCheckFailures: new Counter({ name: 'f', help: 'f', registers: [registry] }),
    staffAccess,
  };
  const count = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
  return { options, count };
}

const playerToken = (brandId: string, sessionId = randomUUID()) =>
  admin.deps.userTokens.signAccess({ audience: 'player', subject: randomUUID(), brandId, sessionId });

async function refusal(promise: Promise<unknown>): Promise<EdgeRefusal> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EdgeRefusal);
  return error as EdgeRefusal;
}

describe('resolveEdge', () => {
  it('takes the brand from the host and the caller from the token', async () => {
    const { options } = edgeOptions('enforce');
    const token = await playerToken(admin.brands.acme.id);
    const edge = await resolveEdge(options, 'ACME.localhost:8080', `Bearer ${token}`, log);
    expect(edge.brand.code).toBe('acme');
    expect(edge.caller).toMatchObject({ kind: 'player', brandId: admin.brands.acme.id });
  });

  it('refuses a malformed Authorization header rather than treating it as anonymous', async () => {
    const { options } = edgeOptions('enforce');
    expect((await refusal(resolveEdge(options, 'localhost', 'Basic abc', log))).status).toBe(401);
  });

  it('lets a mismatch through as the token brand under off, and counts it', async () => {
    const { options, count } = edgeOptions('off');
    const edge = await resolveEdge(options, 'acme.localhost', `Bearer ${await playerToken(admin.brands.demo.id)}`, log);
    expect(edge.brand.code).toBe('demo');
    expect(edge.hostBrand.code).toBe('acme');
    expect(await count('m')).toBe(1);
  });

  it('refuses the access tokens of a revoked session', async () => {
    const { options } = edgeOptions('enforce');
    const sessionId = randomUUID();
    await options.revocations.revoke(sessionId);
    const error = await refusal(resolveEdge(options, 'localhost', `Bearer ${await playerToken(admin.brands.demo.id, sessionId)}`, log));
    expect(error).toMatchObject({ status: 401, message: 'this session has ended' });
  });

  it('lets a valid token through while Redis is unreachable, and counts the failed check', async () => {
    const { options, count } = edgeOptions('enforce', deadRedis);
    const edge = await resolveEdge(options, 'localhost', `Bearer ${await playerToken(admin.brands.demo.id)}`, log);
    expect(edge.caller?.kind).toBe('player');
    expect(await count('f')).toBe(1);
  });

  it('refuses a suspended brand', async () => {
    await admin.deps.prisma.brand.update({ where: { id: admin.brands.acme.id }, data: { status: 'SUSPENDED' } });
    try {
      await catalog.reload();
      const { options } = edgeOptions('enforce');
      expect(await refusal(resolveEdge(options, 'acme.localhost', undefined, log))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      // Nor through another brand's host, where observe/off would act for the token's brand.
      for (const mode of ['observe', 'off'] as const) {
        const token = await playerToken(admin.brands.acme.id);
        expect(await refusal(resolveEdge(edgeOptions(mode).options, 'localhost', `Bearer ${token}`, log))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      }
    } finally {
      await admin.deps.prisma.brand.update({ where: { id: admin.brands.acme.id }, data: { status: 'ACTIVE' } });
      await catalog.reload();
    }
  });
});
