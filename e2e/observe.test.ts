import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootPlatform, counterValue, type TestPlatform } from './support/platform';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await bootPlatform({ MULTI_BRAND_ENFORCEMENT: 'observe' });
});
afterAll(async () => {
  await platform?.stop();
});

it('under observe, lets a demo token through on acme.localhost as its own brand, and counts it', async () => {
  const metrics = `${platform.routerUrl}/metrics`;
  const labels = { mode: 'observe', audience: 'player' };
  const before = await counterValue(metrics, 'brand_mismatch_total', labels);
  const { accessToken } = await platform.register('olivia_observe');
  const result = await platform.graphql(`{ me { username wallet { balance currency } } }`, undefined, {
    token: accessToken,
    host: 'acme.localhost',
  });
  expect(result.status).toBe(200);
  expect(result.body.data.me).toEqual({ username: 'olivia_observe', wallet: { balance: '0.00', currency: 'USD' } });
  expect(await counterValue(metrics, 'brand_mismatch_total', labels)).toBe(before + 1);
});

it('stops every process gracefully: each drains and exits 0 on SIGTERM', async () => {
  await platform.platform.stop();
  for (const service of platform.platform.services) {
    expect({ name: service.name, code: service.process.exitCode, signal: service.process.signalCode }).toEqual({
      name: service.name,
      code: 0,
      signal: null,
    });
  }
});
