import diagnostics_channel from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminSubgraph } from '@rgb/admin';
import { loadConfig, baseLocalDefaults } from '@rgb/kit';
import { startSeededTestSubgraph, type SeededTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerEnv } from '../src/config';
import { createRouter, type Router } from '../src/server';

let admin: SeededTestSubgraph;
const routers: Router[] = [];

beforeAll(async () => {
  admin = await startSeededTestSubgraph(adminSubgraph);
});
afterAll(async () => {
  for (const router of routers) await router.close();
  await admin?.close();
});

/** A router in-process (no listening socket needed: fastify's inject) over the test admin subgraph. */
async function routerFor(nodeEnv: 'production' | 'development', overrides: Record<string, string> = {}): Promise<Router> {
  const env = {
    NODE_ENV: nodeEnv,
    LOG_LEVEL: 'silent',
    ADMIN_URL: admin.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
    // The admin test subgraph signs its service tokens with the local internal secret.
    INTERNAL_JWT_SECRET: admin.deps.config.INTERNAL_JWT_SECRET,
    ...overrides,
  };
  const config = loadConfig(routerEnv, { env, localDefaults: nodeEnv === 'production' ? {} : baseLocalDefaults });
  const router = await createRouter(config, env);
  routers.push(router);
  return router;
}

const INTROSPECTION = JSON.stringify({ query: '{ __schema { queryType { name } } }' });
const post = (router: Router, payload: string, headers: Record<string, string> = {}) =>
  router.app.inject({ method: 'POST', url: '/graphql', headers: { host: 'localhost', 'content-type': 'application/json', ...headers }, payload });

describe('the router', () => {
  it('refuses introspection in production', async () => {
    const response = await post(await routerFor('production'), INTROSPECTION);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toMatch(/introspection/i);
  });

  it('answers introspection outside production', async () => {
    const response = await post(await routerFor('development'), INTROSPECTION);
    expect(response.json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const router = routers[0] ?? (await routerFor('development'));
    const given = await post(router, INTROSPECTION, { 'x-request-id': 'req-123.abc' });
    expect(given.headers['x-request-id']).toBe('req-123.abc');
    const malformed = await post(router, INTROSPECTION, { 'x-request-id': 'bad id with spaces' });
    expect(malformed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 429 with Retry-After past the rate limit, per client address', async () => {
    const router = await routerFor('development', { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1', RATE_LIMIT_ANONYMOUS_BURST: '2' });
    const fromAddress = (remoteAddress: string) =>
      router.app.inject({ method: 'POST', url: '/graphql', remoteAddress, headers: { host: 'localhost', 'content-type': 'application/json' }, payload: INTROSPECTION });
    const address = `10.${randomBytes(3).join('.')}`;
    expect((await fromAddress(address)).statusCode).toBe(200);
    expect((await fromAddress(address)).statusCode).toBe(200);
    const limited = await fromAddress(address);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(limited.json().errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await fromAddress(`10.${randomBytes(3).join('.')}`)).statusCode).toBe(200);
    expect(await router.metrics.registry.getSingleMetricAsString('rate_limited_total')).toMatch(/rate_limited_total\{audience="anonymous",service="router"\} 1/);
  });

  it('answers a provider in the callback format when the game cannot be reached', async () => {
    const router = await routerFor('development', { GAME_CALLBACK_URL: 'http://127.0.0.1:1' });
    const response = await router.app.inject({ method: 'POST', url: '/callbacks/demo/bet', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ status: 'ERROR', error_code: 'INTERNAL_ERROR' });
  });

  it('passes a callback to the game with its body and headers, but none of the platform\'s own nor credentials', async () => {
    // Stands where the game's callback listener stands, and reports what reached it.
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const listener = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"OK"}');
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = listener.address() as AddressInfo;
      const router = await routerFor('development', { GAME_CALLBACK_URL: `http://127.0.0.1:${port}` });
      const payload = '{"request_id":"r-1",  "account":"demo_x"}';
      const response = await router.app.inject({
        method: 'POST',
        url: '/callbacks/demo/balance',
        headers: { 'content-type': 'application/json', 'x-signature': 'abc', authorization: 'Bearer stolen', cookie: 'a=b', 'x-rgb-context': 'forged', 'x-rgb-router': 'forged' },
        payload,
      });
      expect(response.json()).toEqual({ status: 'OK' });
      const [{ headers, body }] = received as [{ headers: Record<string, unknown>; body: string }];
      expect(body).toBe(payload);
      expect(headers).toMatchObject({ 'x-signature': 'abc', 'content-type': 'application/json' });
      expect(headers).not.toHaveProperty('authorization');
      expect(headers).not.toHaveProperty('cookie');
      expect(headers).not.toHaveProperty('x-rgb-context');
      expect(headers['x-rgb-router']).not.toBe('forged');
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

describe('the router phones nobody', () => {
  it('makes no request outside the machine while starting (no usage report to Apollo, no cloud metadata probe)', async () => {
    const hosts: string[] = [];
    const recordHttp = (message: unknown) => hosts.push(String((message as { request: { host: string } }).request.host));
    const recordUndici = (message: unknown) => hosts.push(new URL(String((message as { request: { origin: string } }).request.origin)).hostname);
    diagnostics_channel.subscribe('http.client.request.start', recordHttp);
    diagnostics_channel.subscribe('undici:request:create', recordUndici);
    try {
      await routerFor('development');
      // The probes, when made, start as the gateway is built; a second lets any of them begin.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      diagnostics_channel.unsubscribe('http.client.request.start', recordHttp);
      diagnostics_channel.unsubscribe('undici:request:create', recordUndici);
    }
    expect(hosts.filter((host) => !['127.0.0.1', 'localhost', '::1'].includes(host))).toEqual([]);
  });
});
