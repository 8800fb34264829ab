/**
 * admin.stale_pending_requests: admin_worker keeps each pending request with when it was made
 * (from the wallet's events), and the job counts per brand those waiting past the brand's
 * threshold, tells the live top-info when a count changed, shows the counts in a gauge and warns
 * listing them. Real PostgreSQL and Redis streams; the job is run by hand here (the worker runs
 * its consumers only), so each run's effect is the test's to see.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type EmittedEventType, STREAMS } from '@rgb/contracts';
import { createLogger, type ForwardedContext, loadWorkerConfig, Metrics, type StartedWorker, startWorker } from '@rgb/kit';
import { firstError, isolatedRedisUrl, type SeededTestSubgraph, startSeededTestSubgraph, staffWith, waitFor } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSubgraph, adminWorker } from '../src/index';
import { checkStaleRequests, staleRequestsJob } from '../src/stale-requests';
import { TOP_INFO_CHANNEL } from '../src/top-info';
import { publishTogether, request } from './events';

const MINUTE_MS = 60_000;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * MINUTE_MS);

let server: SeededTestSubgraph;
let worker: StartedWorker;
let redis: Redis;
let notices: Redis;
/** Every top-info notice of this test's brands, in order. */
const noticed: string[] = [];
let everyBrand: ForwardedContext;
const silent = createLogger('stale-requests-test', 'silent');

beforeAll(async () => {
  const redisUrl = await isolatedRedisUrl();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  // The admin worker's consumers without its jobs, which this test runs by hand.
  worker = await startWorker(
    { ...adminWorker, jobs: undefined },
    loadWorkerConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: server.database.url, REDIS_URL: redisUrl, DATABASE_POOL_SIZE: '2' }),
  );
  redis = new Redis(redisUrl);
  // Pub/sub channels are shared by every Redis database: only this test's brands count.
  const ours = new Set([server.brands.demo.id, server.brands.acme.id]);
  notices = new Redis(redisUrl);
  notices.on('message', (_channel: string, message: string) => {
    if (ours.has(message) || message.startsWith('sentinel:')) noticed.push(message);
  });
  await notices.subscribe(TOP_INFO_CHANNEL);
  const staffId = (await server.deps.prisma.staff.create({ data: { username: `all_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true } })).id;
  everyBrand = staffWith(server.brands.demo, staffId, ['brands.read', 'brands.manage'], { allBrands: true });
});
afterAll(async () => {
  await notices?.quit();
  redis?.disconnect();
  await worker?.close();
  await server?.close();
});

/** The notices sent since `from`, once a sentinel published now has come back (so none is still on its way). */
async function noticesSince(from: number): Promise<string[]> {
  const sentinel = `sentinel:${randomUUID()}`;
  await redis.publish(TOP_INFO_CHANNEL, sentinel);
  await waitFor('the sentinel notice', () => noticed.includes(sentinel));
  return noticed.slice(from, noticed.indexOf(sentinel)).filter((message) => !message.startsWith('sentinel:'));
}

/**
 * Publishes wallet events together and waits for the top-info consumer's notice of their commit,
 * so that notices counted afterwards are the check's alone.
 */
async function walletEvents(...events: { event_type: EmittedEventType; brand_id: string }[]): Promise<void> {
  const from = noticed.length;
  await publishTogether(redis, STREAMS.wallet, events);
  await waitFor('the top-info notice of the events', () => events.every((event) => noticed.slice(from).includes(event.brand_id)));
}

const countsOf = (counts: Awaited<ReturnType<typeof checkStaleRequests>>) =>
  Object.fromEntries(counts.map(({ code, depositCount, withdrawalCount, changed }) => [code, { depositCount, withdrawalCount, changed }]));

describe('the stale request check', () => {
  it("counts each brand's requests waiting past its threshold, tells the top-info of the brands whose count changed, and nobody on a repeat", async () => {
    const { demo } = server.brands;
    const [staleDeposit, freshDeposit, staleWithdrawal, freshWithdrawal] = [request(demo, '1050'), request(demo, '99'), request(demo, '500'), request(demo, '700')];
    await walletEvents(
      staleDeposit.depositRequested(minutesAgo(16)),
      freshDeposit.depositRequested(minutesAgo(14)),
      staleWithdrawal.withdrawRequested(minutesAgo(31)),
      freshWithdrawal.withdrawRequested(minutesAgo(29)),
    );

    let from = noticed.length;
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent))).toEqual({
      acme: { depositCount: 0, withdrawalCount: 0, changed: false },
      demo: { depositCount: 1, withdrawalCount: 1, changed: true },
    });
    expect(await noticesSince(from)).toEqual([demo.id]);

    from = noticed.length;
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent)).demo).toEqual({ depositCount: 1, withdrawalCount: 1, changed: false });
    expect(await noticesSince(from)).toEqual([]);
    expect(await server.deps.prisma.stalePendingCheck.findUniqueOrThrow({ where: { brandId: demo.id } })).toMatchObject({ depositCount: 1, withdrawalCount: 1 });

    // Decided: no longer pending, so no longer stale.
    await walletEvents(staleDeposit.depositApproved(), staleWithdrawal.withdrawApproved(), freshDeposit.depositDeclined(), freshWithdrawal.withdrawApproved());
    from = noticed.length;
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent)).demo).toEqual({ depositCount: 0, withdrawalCount: 0, changed: true });
    expect(await noticesSince(from)).toEqual([demo.id]);
    expect(await server.deps.prisma.pendingRequest.count({ where: { brandId: demo.id } })).toBe(0);
  });

  it("warns once per brand with stale requests, listing the oldest of each kind with its amount and wait", async () => {
    const { acme } = server.brands;
    const oldest = request(acme, '10000');
    const newer = request(acme, '25000');
    await walletEvents(newer.depositRequested(minutesAgo(20)), oldest.depositRequested(minutesAgo(45)));
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(
      'stale-requests-test',
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    );
    await checkStaleRequests(server.deps.prisma, redis, log);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: "pending requests are waiting past their brand's threshold",
        brand: 'acme',
        stale_deposits: 2,
        stale_withdrawals: 0,
        deposits: [
          { request_id: oldest.id, amount: '10000', waiting_minutes: 45 },
          { request_id: newer.id, amount: '25000', waiting_minutes: 20 },
        ],
        withdrawals: [],
      }),
    ]);
    await walletEvents(oldest.depositDeclined(), newer.depositDeclined());
  });

  it('shows the last check in a gauge that every replica reads alike, whichever ran it', async () => {
    const { demo } = server.brands;
    const waiting = request(demo, '100');
    await walletEvents(waiting.withdrawRequested(minutesAgo(40)));
    const replicas = [new Metrics('replica-a'), new Metrics('replica-b')].map((metrics) => ({
      metrics,
      job: staleRequestsJob({ prisma: server.deps.prisma, redis, metrics, log: silent }),
    }));
    await replicas[0]!.job.run({ windowStart: new Date(), attempt: 1, signal: new AbortController().signal });
    for (const { metrics } of replicas) {
      const gauge = await metrics.registry.getSingleMetric('admin_stale_pending_requests')!.get();
      expect(gauge.values.map(({ labels, value }) => ({ brand: labels.brand, kind: labels.kind, value }))).toEqual(
        expect.arrayContaining([
          { brand: 'demo', kind: 'withdrawal', value: 1 },
          { brand: 'demo', kind: 'deposit', value: 0 },
          { brand: 'acme', kind: 'withdrawal', value: 0 },
        ]),
      );
    }
    await walletEvents(waiting.withdrawApproved());
  });

  it('leaves a request whose decision was applied first neither pending nor stale', async () => {
    const { demo } = server.brands;
    const reordered = request(demo, '300');
    // The decision first, as when the request's event failed once and was retried after it.
    await walletEvents(reordered.depositApproved());
    expect(await server.deps.prisma.pendingRequest.findUnique({ where: { requestId: reordered.id } })).toMatchObject({ requestedAt: null });
    await walletEvents(reordered.depositRequested(minutesAgo(60)));
    expect(await server.deps.prisma.pendingRequest.findUnique({ where: { requestId: reordered.id } })).toBeNull();
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent)).demo).toMatchObject({ depositCount: 0 });
    expect(await server.deps.prisma.pendingRequestTotals.findUniqueOrThrow({ where: { brandId: demo.id } })).toMatchObject({ depositCount: 0, depositAmountMinor: 0n });
  });
});

describe("a brand's thresholds", () => {
  const CONFIG = `config { stalePendingAfter { depositMinutes withdrawalMinutes } }`;
  const UPDATE = `mutation ($id: ID!, $input: UpdateBrandConfigInput!) { updateBrandConfig(brandId: $id, input: $input) { ${CONFIG} } }`;

  it('are 15 and 30 minutes unless changed; changing them is audited and the next check counts by them', async () => {
    const { acme } = server.brands;
    const brands = await server.graphql<{ brands: { config: unknown }[] }>(`{ brands { ${CONFIG} } }`, undefined, everyBrand);
    expect(brands.body.data?.brands).toEqual([
      { config: { stalePendingAfter: { depositMinutes: 15, withdrawalMinutes: 30 } } },
      { config: { stalePendingAfter: { depositMinutes: 15, withdrawalMinutes: 30 } } },
    ]);
    const waiting = request(acme, '50000');
    await walletEvents(waiting.depositRequested(minutesAgo(3)));
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent)).acme).toMatchObject({ depositCount: 0 });

    const changed = await server.graphql(UPDATE, { id: acme.id, input: { stalePendingAfter: { depositMinutes: 2, withdrawalMinutes: 10080 } } }, everyBrand);
    expect(changed.body.data).toEqual({ updateBrandConfig: { config: { stalePendingAfter: { depositMinutes: 2, withdrawalMinutes: 10080 } } } });
    const [audit] = await server.deps.prisma.auditLog.findMany({ where: { targetId: acme.id, action: 'brand.config.update' } });
    expect(audit).toMatchObject({
      before: expect.objectContaining({ stale_pending_after_minutes: { deposit: 15, withdrawal: 30 } }),
      after: expect.objectContaining({ stale_pending_after_minutes: { deposit: 2, withdrawal: 10080 } }),
    });
    expect(countsOf(await checkStaleRequests(server.deps.prisma, redis, silent)).acme).toMatchObject({ depositCount: 1, changed: true });
    await walletEvents(waiting.depositDeclined());
  });

  it.each([
    ['zero minutes', { depositMinutes: 0, withdrawalMinutes: 30 }],
    ['more than a week', { depositMinutes: 15, withdrawalMinutes: 10081 }],
    ['a negative number', { depositMinutes: -5, withdrawalMinutes: 30 }],
  ])('refuses %s with BAD_USER_INPUT, changing nothing', async (_what, stalePendingAfter) => {
    const { demo } = server.brands;
    const before = await server.deps.prisma.brandConfig.findUniqueOrThrow({ where: { brandId: demo.id } });
    expect(firstError(await server.graphql(UPDATE, { id: demo.id, input: { stalePendingAfter } }, everyBrand))?.code).toBe('BAD_USER_INPUT');
    expect(await server.deps.prisma.brandConfig.findUniqueOrThrow({ where: { brandId: demo.id } })).toEqual(before);
  });
});
