/**
 * Subscriptions through the router over graphql-ws: the edge at connection_init, the passthrough
 * to the admin subgraph's topInfo, sharing of upstream subscriptions, and how connections end
 * (token expiry, session revocation, shutdown). A real admin subgraph, router, Redis and sockets.
 */
import { randomUUID } from 'node:crypto';
import { adminSubgraph } from '@rgb/admin';
import { TokenService } from '@rgb/auth';
import { baseLocalDefaults, loadConfig } from '@rgb/kit';
import { startSeededTestSubgraph, subscribeOverWebSocket, TEST_ADMIN_PASSWORD, type SeededTestSubgraph, type TestSubscription } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerEnv } from '../src/config';
import { createRouter, type Router } from '../src/server';
import { graphql } from './local-platform';

const TOP_INFO = 'subscription { topInfo { pendingDepositCount pendingDepositAmount newPlayersToday } }';
type TopInfo = { topInfo: { pendingDepositCount: number; pendingDepositAmount: string; newPlayersToday: number } };

let admin: SeededTestSubgraph;
let router: Router;
let routerUrl: string;
let redis: Redis;
let staffToken: string;
const open: TestSubscription[] = [];

async function startRouter(): Promise<{ router: Router; url: string }> {
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    METRICS_PORT: '0',
    ADMIN_URL: admin.url,
    SUBGRAPH_ADMIN_URL: `${admin.url}/graphql`,
    REDIS_URL: baseLocalDefaults.REDIS_URL!,
    AUTH_JWT_SECRET: baseLocalDefaults.AUTH_JWT_SECRET!,
    INTERNAL_JWT_SECRET: baseLocalDefaults.INTERNAL_JWT_SECRET!,
  };
  const started = await createRouter(loadConfig(routerEnv, { env }), env);
  return { router: started, url: await started.listen() };
}

async function staffLogin(): Promise<string> {
  const answer = await graphql<{ staffLogin: { accessToken: string } }>(
    routerUrl,
    'mutation ($input: LoginInput!) { staffLogin(input: $input) { accessToken } }',
    { variables: { input: { username: 'admin', password: TEST_ADMIN_PASSWORD } } },
  );
  return answer.body.data!.staffLogin.accessToken;
}

beforeAll(async () => {
  admin = await startSeededTestSubgraph(adminSubgraph);
  ({ router, url: routerUrl } = await startRouter());
  redis = new Redis(baseLocalDefaults.REDIS_URL!);
  staffToken = await staffLogin();
});
afterAll(async () => {
  for (const subscription of open) await subscription.dispose();
  redis?.disconnect();
  await router?.close();
  await admin?.close();
});

const wsUrl = (url = routerUrl) => `${url.replace(/^http/, 'ws')}/graphql`;
function subscribe(payload: Record<string, unknown> | undefined, { host, url, query = TOP_INFO }: { host?: string; url?: string; query?: string } = {}) {
  const subscription = subscribeOverWebSocket<TopInfo>(wsUrl(url), query, { payload, headers: host ? { host } : {} });
  open.push(subscription as TestSubscription);
  return subscription;
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** What admin_worker does after a commit: the brand's figures change, then the notice. */
async function announcePendingDeposits(count: number, amountMinor: bigint) {
  const brandId = admin.brands.demo.id;
  await admin.deps.prisma.pendingRequestTotals.upsert({
    where: { brandId },
    create: { brandId, depositCount: count, depositAmountMinor: amountMinor },
    update: { depositCount: count, depositAmountMinor: amountMinor },
  });
  await redis.publish('rgb:admin:top-info', brandId);
}

const upstreamsOpened = async () => (await router.subscriptions.upstreamsOpened.get()).values.reduce((sum, { value }) => sum + value, 0);

describe('Subscription.topInfo through the router', () => {
  it('passes a staff subscription through to the admin subgraph, and one change to every client of one upstream subscription', async () => {
    const before = await upstreamsOpened();
    const clients = Array.from({ length: 25 }, () => subscribe(bearer(staffToken)));
    for (const client of clients) expect((await client.next()).data?.topInfo).toMatchObject({ pendingDepositCount: 0, pendingDepositAmount: '0.00' });
    expect(await upstreamsOpened()).toBe(before + 1);

    await announcePendingDeposits(3, 4550n);
    for (const client of clients) expect((await client.next()).data?.topInfo).toMatchObject({ pendingDepositCount: 3, pendingDepositAmount: '45.50' });
    // A client joining the running subscription starts from its latest result.
    const late = subscribe(bearer(staffToken));
    expect((await late.next()).data?.topInfo).toMatchObject({ pendingDepositCount: 3 });
    expect(await upstreamsOpened()).toBe(before + 1);

    for (const client of [...clients, late]) await client.dispose();
    await announcePendingDeposits(0, 0n);
  });

  it('closes a connection without a token, or with a bad one, with 4401', async () => {
    const refusals = [subscribe(undefined), subscribe({ authorization: 'Bearer not-a-token' }), subscribe({ authorization: staffToken })];
    for (const refused of refusals) {
      expect((await refused.closed).code).toBe(4401);
      expect(refused.results).toEqual([]);
    }
  });

  it('closes a connection whose token is of another brand than the host, or on a host no brand serves, with 4403', async () => {
    const tokens = new TokenService({ secret: baseLocalDefaults.AUTH_JWT_SECRET! });
    const acmeStaff = await tokens.signAccess({ audience: 'staff', subject: randomUUID(), brandId: admin.brands.acme.id, sessionId: randomUUID() });
    const refusals = [subscribe(bearer(acmeStaff)), subscribe(bearer(staffToken), { host: 'nobody.example' })];
    for (const refused of refusals) expect((await refused.closed).code).toBe(4403);
  });

  it('answers a player token with FORBIDDEN and completes, the connection staying open', async () => {
    const tokens = new TokenService({ secret: baseLocalDefaults.AUTH_JWT_SECRET! });
    const player = await tokens.signAccess({ audience: 'player', subject: randomUUID(), brandId: admin.brands.demo.id, sessionId: randomUUID() });
    const refused = subscribe(bearer(player));
    await refused.completed;
    expect(refused.results).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] }]);
  });

  it('refuses a query over the websocket (only subscriptions are served there), and a subscription past the operation limits', async () => {
    const query = subscribe(bearer(staffToken), { query: '{ currentBrand { code } }' });
    await expect(query.completed).rejects.toEqual([expect.objectContaining({ message: expect.stringContaining('only subscriptions') })]);
    const aliases = Array.from({ length: 40 }, (_, index) => `a${index}: pendingDepositCount`).join(' ');
    const tooWide = subscribe(bearer(staffToken), { query: `subscription { topInfo { ${aliases} } }` });
    await expect(tooWide.completed).rejects.toEqual([expect.objectContaining({ message: expect.stringMatching(/alias/i) })]);
  });

  it('ends the connection with 4401 when its session is revoked (staffLogout), and when its token expires', async () => {
    const ownToken = await staffLogin();
    const revoked = subscribe(bearer(ownToken));
    await revoked.next();
    expect((await graphql(routerUrl, 'mutation { staffLogout }', { token: ownToken })).body).toEqual({ data: { staffLogout: true } });
    expect(await revoked.closed).toEqual({ code: 4401, reason: 'this session has ended' });

    // The seeded admin's own account (the router admits only staff that exist), on a token of 2 s.
    const tokens = new TokenService({ secret: baseLocalDefaults.AUTH_JWT_SECRET! });
    const adminId = (await tokens.verify(staffToken, ['staff'])).subject;
    const shortLived = await new TokenService({ secret: baseLocalDefaults.AUTH_JWT_SECRET!, accessTokenTtlSeconds: 2 }).signAccess({
      audience: 'staff',
      subject: adminId,
      brandId: admin.brands.demo.id,
      sessionId: randomUUID(),
    });
    const expiring = subscribe(bearer(shortLived));
    await expiring.next();
    const started = Date.now();
    expect(await expiring.closed).toEqual({ code: 4401, reason: 'the token expired' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('completes open subscriptions with SUPERGRAPH_RELOADED when the supergraph is reloaded, and serves new ones on the new one', async () => {
    const client = subscribe(bearer(staffToken));
    await client.next();
    await router.reloadSupergraph();
    await client.completed;
    expect(client.results.at(-1)).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'SUPERGRAPH_RELOADED' } })] });
    const again = subscribe(bearer(staffToken));
    expect((await again.next()).data?.topInfo).toMatchObject({ pendingDepositCount: 0 });
  });

  it('closes every connection with 1001 when the router shuts down, ending its upstream subscriptions', async () => {
    const other = await startRouter();
    const client = subscribe(bearer(staffToken), { url: other.url });
    await client.next();
    await other.router.close();
    expect((await client.closed).code).toBe(1001);
  });
});
