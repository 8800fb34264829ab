import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminSubgraph } from '@rgb/admin';
import { startSeededTestSubgraph, type SeededTestSubgraph } from '../src/testing';
import { BrandCatalog, normalizeHost, publishBrandsChanged } from '../src/brand-catalog';
import { createLogger } from '../src/logger';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('normalizeHost', () => {
  it.each([
    ['localhost:8080', 'localhost'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['ACME.LocalHost', 'acme.localhost'],
    ['acme.localhost.', 'acme.localhost'],
    ['Acme.Localhost.:443', 'acme.localhost'],
    ['  localhost  ', 'localhost'],
    ['[::1]:8080', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['2001:db8::1', '[2001:db8::1]'],
    ['::1', '[::1]'],
  ])('%s → %s', (host, key) => {
    expect(normalizeHost(host)).toBe(key);
  });
});

describe('BrandCatalog against the admin subgraph and Redis', () => {
  let admin: SeededTestSubgraph;
  let catalog: BrandCatalog;
  beforeAll(async () => {
    admin = await startSeededTestSubgraph(adminSubgraph);
    catalog = new BrandCatalog({
      adminUrl: admin.url,
      redisUrl: REDIS_URL,
      serviceName: 'kit-test',
      tokens: admin.deps.serviceTokens,
      log: createLogger('kit-test', 'silent'),
    });
    await catalog.start(5_000);
  });
  afterAll(async () => {
    await catalog?.stop();
    await admin?.close();
  });

  it('loads both demo brands, found by host (any port or case), id and code', () => {
    expect(catalog.size).toBe(2);
    expect(catalog.byHost('localhost:8080')?.code).toBe('demo');
    expect(catalog.byHost('127.0.0.1')?.code).toBe('demo');
    expect(catalog.byHost('ACME.localhost:8080')).toMatchObject({ code: 'acme', currency: 'KRW' });
    expect(catalog.byId(admin.brands.demo.id)?.currency).toBe('USD');
    expect(catalog.byCode('acme')?.id).toBe(admin.brands.acme.id);
    expect(catalog.byHost('unknown.example')).toBeUndefined();
  });

  it('resolves a newly added domain within a second of the change notification', async () => {
    await admin.deps.prisma.brandDomain.create({ data: { host: 'casino.acme.test', brandId: admin.brands.acme.id } });
    expect(catalog.byHost('casino.acme.test')).toBeUndefined();
    await publishBrandsChanged(REDIS_URL);
    await vi.waitFor(() => expect(catalog.byHost('casino.acme.test:443')?.code).toBe('acme'), { timeout: 1_000, interval: 20 });
  });
});
