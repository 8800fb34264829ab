import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { adminSubgraph } from '@rgb/admin';
import type { Histogram } from 'prom-client';
import { isolatedRedisUrl, type SeededTestSubgraph, startSeededTestSubgraph, startTestSubgraph } from '../src/testing';
import { BRANDS_CHANGED_CHANNEL } from '../src/brand-catalog';
import { BrandConfigs } from '../src/brand-configs';
import { createLogger } from '../src/logger';
import { Redis } from 'ioredis';

/** The brands' configs as the wallet and rolling read them, against the real admin subgraph and Redis. */
let admin: SeededTestSubgraph;
let redisUrl: string;
let publisher: Redis;
beforeAll(async () => {
  redisUrl = await isolatedRedisUrl();
  admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  publisher = new Redis(redisUrl);
});
afterAll(async () => {
  publisher?.disconnect();
  await admin?.close();
});

const CONFIG_ROUTE = '/internal/brands/:brand_id/config';

/** How many config reads the admin has answered. */
async function readsAnswered(): Promise<number> {
  const histogram = admin.deps.metrics.registry.getSingleMetric('http_request_duration_seconds') as Histogram;
  const { values } = await histogram.get();
  return values.filter((value) => value.metricName === 'http_request_duration_seconds_count' && value.labels.route === CONFIG_ROUTE).reduce((sum, value) => sum + value.value, 0);
}

async function started(maxAgeMs = 60_000): Promise<BrandConfigs> {
  const log = createLogger('kit-test', 'silent');
  const configs = new BrandConfigs({ adminUrl: admin.url, redisUrl, serviceName: 'kit-test', tokens: admin.deps.serviceTokens, log, maxAgeMs });
  await configs.start();
  return configs;
}

it('reads a brand once for many callers at once, then from its cache', async () => {
  const configs = await started();
  try {
    const before = await readsAnswered();
    const answers = await Promise.all(Array.from({ length: 20 }, () => configs.get(admin.brands.acme.id)));
    expect(new Set(answers.map((config) => config?.deposit_rolling_multiplier_bps))).toEqual(new Set([10_000]));
    await configs.get(admin.brands.acme.id);
    expect((await readsAnswered()) - before).toBe(1);
    expect(await configs.get('0190a1b2-0000-7000-8000-00000000dead')).toBeNull();
  } finally {
    await configs.stop();
  }
});

it("reads a brand again when the admin announces its change", async () => {
  const configs = await started();
  try {
    const brand = admin.brands.demo.id;
    expect((await configs.get(brand))?.rolling_expiry_days).toBe(0);
    await admin.deps.prisma.brandConfig.update({ where: { brandId: brand }, data: { rollingExpiryDays: 7 } });
    expect((await configs.get(brand))?.rolling_expiry_days).toBe(0);
    await publisher.publish(BRANDS_CHANGED_CHANNEL, brand);
    await vi.waitFor(async () => expect((await configs.get(brand))?.rolling_expiry_days).toBe(7), { timeout: 2_000, interval: 20 });
  } finally {
    await admin.deps.prisma.brandConfig.update({ where: { brandId: admin.brands.demo.id }, data: { rollingExpiryDays: 0 } });
    await configs.stop();
  }
});

it('keeps answering with the config read before while the admin cannot answer; a brand never read fails', async () => {
  // A second admin on the same database, stopped once the reader has read acme through it.
  const second = await startTestSubgraph(adminSubgraph, admin.database.url, { REDIS_URL: redisUrl });
  const log = createLogger('kit-test', 'silent');
  const warned = vi.spyOn(log, 'warn');
  const reader = new BrandConfigs({ adminUrl: second.url, redisUrl, serviceName: 'kit-test', tokens: admin.deps.serviceTokens, log, maxAgeMs: 1 });
  await reader.start();
  try {
    const first = await reader.get(admin.brands.acme.id);
    expect(first?.brand_id).toBe(admin.brands.acme.id);
    await second.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await reader.get(admin.brands.acme.id)).toEqual(first);
    expect(warned).toHaveBeenCalledTimes(1);
    await expect(reader.get(admin.brands.demo.id)).rejects.toThrow(/internal\/brands/);
  } finally {
    await reader.stop();
  }
});
