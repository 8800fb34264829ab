import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, type AuthTokens } from '@rgb/auth';
import type { BrandRef } from '@rgb/kit';
import { anonymous, firstError, signedIn, startSeededTestSubgraph, TEST_ADMIN_PASSWORD, type SeededTestSubgraph } from '@rgb/kit/testing';
import { adminSubgraph } from '../src/index';

const LIMITED_PASSWORD = 'limited-password';
let server: SeededTestSubgraph;
beforeAll(async () => {
  // Waits long enough that no test outlives one.
  server = await startSeededTestSubgraph(adminSubgraph, { env: { LOGIN_THROTTLE_DELAY_MS: '60000' } });
  // A staff member who may act on the demo brand only.
  await server.deps.prisma.staff.create({
    data: {
      username: 'demo_only',
      passwordHash: await hashPassword(LIMITED_PASSWORD),
      brands: { create: { brandId: server.brands.demo.id } },
    },
  });
});
afterAll(() => server?.close());

const STAFF_LOGIN = `mutation ($input: LoginInput!) { staffLogin(input: $input) { accessToken refreshToken } }`;
const STAFF_REFRESH = `mutation ($token: String!) { staffRefreshToken(refreshToken: $token) { accessToken refreshToken } }`;
const BRANDS = `{ brands { code currency domains } }`;

const staffLogin = (username: string, password: string, brand: BrandRef = server.brands.demo, clientAddress?: string) =>
  server.graphql<{ staffLogin: AuthTokens }>(STAFF_LOGIN, { input: { username, password } }, anonymous(brand, clientAddress));
const staffRefresh = (token: string) =>
  server.graphql<{ staffRefreshToken: AuthTokens }>(STAFF_REFRESH, { token }, anonymous(server.brands.demo));
const claimsOf = (tokens: AuthTokens | undefined) => server.deps.userTokens.verify(tokens?.accessToken ?? '', ['staff']);

describe('staffLogin', () => {
  it('logs the seeded admin in on both brands, with a staff token bound to each', async () => {
    for (const brand of [server.brands.demo, server.brands.acme]) {
      const response = await staffLogin('admin', TEST_ADMIN_PASSWORD, brand);
      expect(await claimsOf(response.body.data?.staffLogin)).toMatchObject({ audience: 'staff', brandId: brand.id });
    }
  });

  it('refuses a wrong password with UNAUTHENTICATED', async () => {
    expect(firstError(await staffLogin('admin', 'not-the-password'))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'invalid username or password',
    });
  });

  it('refuses a brand the staff member has no access to with FORBIDDEN', async () => {
    expect(firstError(await staffLogin('demo_only', LIMITED_PASSWORD, server.brands.acme))?.code).toBe('FORBIDDEN');
    expect(firstError(await staffLogin('demo_only', LIMITED_PASSWORD, server.brands.demo))).toBeUndefined();
  });
});

describe('staffLogin throttle', () => {
  const address = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(256)}`;

  it('refuses a staff member after five wrong passwords with RATE_LIMITED, the right password too, on every brand and from any address', async () => {
    // A staff member of this test alone: staff usernames are not per brand, so `admin` is shared by every test database.
    const username = `guessed_${randomUUID().slice(0, 8)}`;
    await server.deps.prisma.staff.create({ data: { username, passwordHash: await hashPassword(LIMITED_PASSWORD), allBrands: true } });
    const attacker = address();
    for (let guess = 0; guess < 5; guess++) {
      const brand = guess % 2 === 0 ? server.brands.demo : server.brands.acme;
      expect(firstError(await staffLogin(username, `wrong-${guess}`, brand, attacker))?.code).toBe('UNAUTHENTICATED');
    }
    for (const brand of [server.brands.demo, server.brands.acme]) {
      const refused = await staffLogin(username, LIMITED_PASSWORD, brand, address());
      expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    }
    const throttled = (await server.deps.metrics.registry.getSingleMetric('login_throttled_total')?.get())?.values;
    expect(throttled).toContainEqual(expect.objectContaining({ labels: { audience: 'staff', by: 'username' }, value: 2 }));
    expect(firstError(await staffLogin('admin', TEST_ADMIN_PASSWORD, server.brands.demo, attacker))).toBeUndefined();
  });
});

describe('brands', () => {
  it('is UNAUTHENTICATED for an anonymous caller and FORBIDDEN for a player', async () => {
    expect(firstError(await server.graphql(BRANDS, undefined, anonymous(server.brands.demo)))?.code).toBe('UNAUTHENTICATED');
    const player = signedIn(server.brands.demo, 'player', randomUUID());
    expect(firstError(await server.graphql(BRANDS, undefined, player))?.code).toBe('FORBIDDEN');
  });

  it('lists the brands the staff member may act on', async () => {
    const admin = await claimsOf((await staffLogin('admin', TEST_ADMIN_PASSWORD)).body.data?.staffLogin);
    const limited = await claimsOf((await staffLogin('demo_only', LIMITED_PASSWORD)).body.data?.staffLogin);
    const demo = { code: 'demo', currency: 'USD', domains: expect.arrayContaining(['localhost', '127.0.0.1']) };
    const acme = { code: 'acme', currency: 'KRW', domains: ['acme.localhost'] };

    const asAdmin = await server.graphql(BRANDS, undefined, signedIn(server.brands.demo, 'staff', admin.subject));
    expect(asAdmin.body).toEqual({ data: { brands: [acme, demo] } });
    const asLimited = await server.graphql(BRANDS, undefined, signedIn(server.brands.demo, 'staff', limited.subject));
    expect(asLimited.body).toEqual({ data: { brands: [demo] } });
  });
});

describe('GET /internal/brands', () => {
  const get = (authorization?: string) =>
    fetch(`${server.url}/internal/brands`, { headers: authorization ? { authorization } : {} });

  it('answers 401 without a token, with a garbage token and with a user token', async () => {
    const staffToken = (await staffLogin('admin', TEST_ADMIN_PASSWORD)).body.data?.staffLogin.accessToken;
    expect((await get()).status).toBe(401);
    expect((await get('Bearer not-a-token')).status).toBe(401);
    expect((await get(`Bearer ${staffToken}`)).status).toBe(401);
  });

  it('lists every brand with its domains for a service token', async () => {
    const response = await get(`Bearer ${await server.deps.serviceTokens.signService('test')}`);
    expect(response.status).toBe(200);
    const { brands } = (await response.json()) as { brands: { id: string; code: string; currency: string; domains: string[] }[] };
    expect(brands).toEqual([
      expect.objectContaining({ ...server.brands.acme, status: 'ACTIVE', domains: ['acme.localhost'] }),
      expect.objectContaining({ ...server.brands.demo, status: 'ACTIVE', domains: expect.arrayContaining(['localhost', '127.0.0.1']) }),
    ]);
  });
});

describe('staffRefreshToken', () => {
  it('rotates: the new token works, the old one is refused', async () => {
    const first = (await staffLogin('admin', TEST_ADMIN_PASSWORD)).body.data?.staffLogin;
    const second = (await staffRefresh(first!.refreshToken)).body.data?.staffRefreshToken;
    expect(await claimsOf(second)).toMatchObject({ audience: 'staff', brandId: server.brands.demo.id });
    expect(firstError(await staffRefresh(first!.refreshToken))?.code).toBe('UNAUTHENTICATED');
  });

  it('keeps working across rotations when every token is used once', async () => {
    let tokens = (await staffLogin('admin', TEST_ADMIN_PASSWORD)).body.data?.staffLogin;
    for (let i = 0; i < 3; i += 1) {
      tokens = (await staffRefresh(tokens!.refreshToken)).body.data?.staffRefreshToken;
      expect(tokens?.refreshToken).toBeTypeOf('string');
    }
  });
});
