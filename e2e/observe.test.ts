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
  const metrics = `${platform.metricsUrl('router')}/metrics`;
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

it('serves each process\'s metrics on its metrics port only: never on the router\'s public port, nor any app or callback port', async () => {
  for (const service of platform.platform.services) {
    const metrics = await fetch(`${service.metricsUrl}/metrics`);
    expect({ name: service.name, status: metrics.status }).toEqual({ name: service.name, status: 200 });
    expect(await metrics.text()).toMatch(new RegExp(`^process_cpu_seconds_total\\{service="${service.name}"\\} `, 'm'));
    expect({ name: service.name, status: (await fetch(`${service.url}/metrics`)).status }).toEqual({ name: service.name, status: 404 });
    expect({ name: service.name, status: (await fetch(`${service.metricsUrl}/health`)).status }).toEqual({ name: service.name, status: 404 });
  }
  expect((await fetch(`http://127.0.0.1:${platform.ports['game.callback']}/metrics`)).status).toBe(404);
  // What the callback listener counts is served with the rest of the game's metrics.
  expect(await (await fetch(`${platform.metricsUrl('game')}/metrics`)).text()).toContain('provider_callback_duration_seconds');
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
