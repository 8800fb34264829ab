import { createHmac, randomBytes, randomInt } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminSubgraph } from '@rgb/admin';
import { TokenService } from '@rgb/auth';
import { loadConfig, baseLocalDefaults } from '@rgb/kit';
import { startSeededTestSubgraph, startTestSubgraph, type SeededTestSubgraph } from '@rgb/kit/testing';
import { loadReconConfig, reconSubgraph } from '@rgb/recon';
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

interface Received {
  url: string;
  headers: Record<string, unknown>;
  body: string;
}

/** Stands where a listener behind the router stands (the game's callbacks, recon's webhooks), and reports what reached it. */
async function standIn(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const listener = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"OK"}');
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => listener.close(() => resolve())),
  };
}

/** Credentials and the platform's own headers: a sender's are never passed on. */
const FORBIDDEN_HEADERS = { authorization: 'Bearer stolen', cookie: 'a=b', 'x-rgb-context': 'forged', 'x-rgb-router': 'forged' };

/** What the listener got instead: none of FORBIDDEN_HEADERS, and the router's own proof (a service token of the router). */
async function expectOnlyTheSendersHeaders(headers: Record<string, unknown>) {
  expect(headers).not.toHaveProperty('authorization');
  expect(headers).not.toHaveProperty('cookie');
  expect(headers).not.toHaveProperty('x-rgb-context');
  expect(await new TokenService({ secret: admin.deps.config.INTERNAL_JWT_SECRET }).verify(String(headers['x-rgb-router']), ['service'])).toMatchObject({ audience: 'service', subject: 'router' });
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
    const listener = await standIn();
    try {
      const router = await routerFor('development', { GAME_CALLBACK_URL: listener.url });
      const payload = '{"request_id":"r-1",  "account":"demo_x"}';
      const response = await router.app.inject({
        method: 'POST',
        url: '/callbacks/demo/balance',
        headers: { 'content-type': 'application/json', 'x-signature': 'abc', ...FORBIDDEN_HEADERS },
        payload,
      });
      expect(response.json()).toEqual({ status: 'OK' });
      const [{ url, headers, body }] = listener.received as [Received];
      expect(url).toBe('/callbacks/demo/balance');
      expect(body).toBe(payload);
      expect(headers).toMatchObject({ 'x-signature': 'abc', 'content-type': 'application/json' });
      await expectOnlyTheSendersHeaders(headers);
    } finally {
      await listener.close();
    }
  });

  it('brings a signed SMS and a Telegram update through to recon, which stores each once', async () => {
    const reconConfig = loadReconConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', WEBHOOK_PORT: '0' });
    const recon = await startTestSubgraph(reconSubgraph(reconConfig), admin.database.url);
    try {
      const prisma = admin.deps.prisma;
      const acme = await prisma.brand.findUniqueOrThrow({ where: { code: 'acme' } });
      const phone = `phone-${randomBytes(4).toString('hex')}`;
      const chat = -randomInt(1_000_000_000);
      await prisma.reconDevice.createMany({
        data: [
          { id: phone, brandId: acme.id, label: 'router test phone' },
          { id: `telegram:${chat}`, brandId: acme.id, label: 'router test chat' },
        ],
      });
      const router = await routerFor('development', { RECON_WEBHOOK_URL: recon.listenerUrls.webhook! });
      const sms = JSON.stringify({ device_id: phone, sender: '15778000', body: '신한 입금 50,000 홍길동', received_at: '2026-12-01T14:03:00+09:00' });
      const sendSms = () =>
        router.app.inject({
          method: 'POST',
          url: '/webhooks/sms',
          headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', reconConfig.RECON_SMS_SECRET).update(sms).digest('hex') },
          payload: sms,
        });
      const accepted = await sendSms();
      expect(accepted.statusCode).toBe(202);
      const { id } = accepted.json();
      expect((await sendSms()).json()).toEqual({ id });
      const forged = await router.app.inject({ method: 'POST', url: '/webhooks/sms', headers: { 'content-type': 'application/json', 'x-signature': 'ab'.repeat(32) }, payload: sms });
      expect(forged.statusCode).toBe(401);
      expect(await prisma.reconMessage.findMany({ where: { deviceId: phone }, select: { id: true, brandId: true, channel: true, status: true } })).toEqual([
        { id, brandId: acme.id, channel: 'SMS', status: 'RECEIVED' },
      ]);

      const update = { update_id: 1, message: { message_id: 1, date: 1_796_619_780, chat: { id: chat, type: 'private' }, text: 'From: 15778000\n신한 입금 20,000 김철수' } };
      const telegram = await router.app.inject({
        method: 'POST',
        url: '/webhooks/telegram',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': reconConfig.RECON_TELEGRAM_SECRET },
        payload: update,
      });
      expect(telegram.statusCode).toBe(200);
      expect(await prisma.reconMessage.findMany({ where: { deviceId: `telegram:${chat}` }, select: { id: true, sender: true, body: true } })).toEqual([
        { id: telegram.json().id, sender: '15778000', body: '신한 입금 20,000 김철수' },
      ]);
    } finally {
      await recon.close();
    }
  });

  it('passes a bank-text webhook to recon the same way, and answers in the webhooks\' format when recon cannot take it', async () => {
    const listener = await standIn();
    try {
      const router = await routerFor('development', { RECON_WEBHOOK_URL: listener.url, MAX_BODY_BYTES: '1024' });
      const payload = '{"device_id":"acme-phone",  "body":"입금"}';
      const response = await router.app.inject({
        method: 'POST',
        url: '/webhooks/sms',
        // curl-based forwarders send Expect: 100-continue, which is the connection's business, not the listener's.
        headers: { 'content-type': 'application/json', 'x-signature': 'abc', 'x-telegram-bot-api-secret-token': 'def', expect: '100-continue', ...FORBIDDEN_HEADERS },
        payload,
      });
      expect(response.json()).toEqual({ status: 'OK' });
      const [{ url, headers, body }] = listener.received as [Received];
      expect(url).toBe('/webhooks/sms');
      expect(body).toBe(payload);
      expect(headers).toMatchObject({ 'x-signature': 'abc', 'x-telegram-bot-api-secret-token': 'def', 'content-type': 'application/json' });
      await expectOnlyTheSendersHeaders(headers);
      const tooLarge = await router.app.inject({ method: 'POST', url: '/webhooks/sms', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(1025) });
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than 1024 bytes' } });
      expect(listener.received).toHaveLength(1);
    } finally {
      await listener.close();
    }
    const unreachable = await (await routerFor('development', { RECON_WEBHOOK_URL: 'http://127.0.0.1:1' })).app.inject({
      method: 'POST',
      url: '/webhooks/telegram',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(unreachable.statusCode).toBe(502);
    expect(unreachable.json()).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'the webhook could not be handled; retry' } });
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
