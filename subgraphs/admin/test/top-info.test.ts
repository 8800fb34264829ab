/**
 * The live top-info: admin_worker projects the wallet's, player's and recon's events into
 * per-brand figures and notifies; the admin subgraph serves `Subscription.topInfo` over graphql-ws to
 * connections carrying the router's signed context. Real PostgreSQL, Redis streams and sockets.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmittedEventType, STREAMS } from '@rgb/contracts';
import { type BrandRef, ContextTokens, createLogger, type ForwardedContext, loadWorkerConfig, type StartedWorker, startWorker } from '@rgb/kit';
import {
  isolatedRedisUrl,
  type SeededTestSubgraph,
  signedIn,
  startSeededTestSubgraph,
  subscribeOverWebSocket,
  type TestSubscription,
} from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { adminSubgraph, adminWorker } from '../src/index';
import { checkStaleRequests } from '../src/stale-requests';
import type { TopInfoFigures } from '../src/top-info';
import { publish as publishEvent, reconText, registration, request } from './events';

const TOP_INFO = `subscription { topInfo {
  pendingDepositCount pendingDepositAmount pendingWithdrawalCount pendingWithdrawalAmount stalePendingDepositCount stalePendingWithdrawalCount
  newPlayersToday unmatchedReconCount updatedAt
} }`;

let server: SeededTestSubgraph;
let worker: StartedWorker;
let redis: Redis;
let contextTokens: ContextTokens;
const open: TestSubscription[] = [];

beforeAll(async () => {
  const redisUrl = await isolatedRedisUrl();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  worker = await startWorker(
    adminWorker,
    loadWorkerConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: server.database.url, REDIS_URL: redisUrl, DATABASE_POOL_SIZE: '2' }),
  );
  redis = new Redis(redisUrl);
  contextTokens = new ContextTokens(server.deps.config.INTERNAL_JWT_SECRET, 'router');
});
afterAll(async () => {
  for (const subscription of open) await subscription.dispose();
  redis?.disconnect();
  await worker?.close();
  await server?.close();
});

const wsUrl = () => `${server.url.replace(/^http/, 'ws')}/graphql`;
const staffOf = (brand: BrandRef) => signedIn(brand, 'staff', randomUUID());

async function subscribe(context: ForwardedContext | null, payload?: Record<string, unknown>) {
  const subscription = subscribeOverWebSocket<{ topInfo: TopInfoFigures }>(wsUrl(), TOP_INFO, {
    payload: payload ?? (context ? { 'x-rgb-context': await contextTokens.sign(context) } : {}),
  });
  open.push(subscription as TestSubscription);
  return subscription;
}

/** The results of `subscription` until one whose figures satisfy `done` (the intermediate ones may vary with batching). */
async function until(subscription: TestSubscription<{ topInfo: TopInfoFigures }>, done: (figures: TopInfoFigures) => boolean): Promise<TopInfoFigures> {
  for (;;) {
    const result = await subscription.next();
    expect(result.errors).toBeUndefined();
    if (done(result.data!.topInfo)) return result.data!.topInfo;
  }
}

const publish = (stream: string, event: { event_type: EmittedEventType }) => publishEvent(redis, stream, event);

describe('Subscription.topInfo', () => {
  it('gives a staff subscriber the current figures at once, then the pending deposits as requests come and are decided, each event counted once', async () => {
    const { demo } = server.brands;
    const staff = await subscribe(staffOf(demo));
    expect((await staff.next()).data?.topInfo).toEqual({
      pendingDepositCount: 0,
      pendingDepositAmount: '0.00',
      pendingWithdrawalCount: 0,
      pendingWithdrawalAmount: '0.00',
      stalePendingDepositCount: 0,
      stalePendingWithdrawalCount: 0,
      newPlayersToday: 0,
      unmatchedReconCount: 0,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const first = request(demo, '1050');
    const firstRequested = first.depositRequested();
    await publish(STREAMS.wallet, firstRequested);
    expect(await until(staff, (figures) => figures.pendingDepositCount > 0)).toMatchObject({ pendingDepositCount: 1, pendingDepositAmount: '10.50' });

    // Redelivered (a publisher retrying): the inbox lets it count once.
    const second = request(demo, '225');
    await publish(STREAMS.wallet, firstRequested);
    await publish(STREAMS.wallet, second.depositRequested());
    expect(await until(staff, (figures) => figures.pendingDepositCount !== 1)).toMatchObject({ pendingDepositCount: 2, pendingDepositAmount: '12.75' });

    await publish(STREAMS.wallet, first.depositApproved());
    await publish(STREAMS.wallet, second.depositDeclined());
    expect(await until(staff, (figures) => figures.pendingDepositCount === 0)).toMatchObject({ pendingDepositAmount: '0.00' });
  });

  it('counts a withdrawal pending until approved or declined; declining an approved one changes nothing', async () => {
    const { demo } = server.brands;
    const staff = await subscribe(staffOf(demo));
    await staff.next();
    const approvedThenBounced = request(demo, '500');
    const declined = request(demo, '300');
    await publish(STREAMS.wallet, approvedThenBounced.withdrawRequested());
    await publish(STREAMS.wallet, declined.withdrawRequested());
    expect(await until(staff, (figures) => figures.pendingWithdrawalCount === 2)).toMatchObject({ pendingWithdrawalAmount: '8.00' });
    await publish(STREAMS.wallet, approvedThenBounced.withdrawApproved());
    expect(await until(staff, (figures) => figures.pendingWithdrawalCount === 1)).toMatchObject({ pendingWithdrawalAmount: '3.00' });
    await publish(STREAMS.wallet, approvedThenBounced.withdrawDeclined('APPROVED'));
    await publish(STREAMS.wallet, declined.withdrawDeclined('PENDING'));
    expect(await until(staff, (figures) => figures.pendingWithdrawalCount === 0)).toMatchObject({ pendingWithdrawalAmount: '0.00' });
    // Applied in stream order: once this deposit shows, every withdrawal event before it was applied.
    await publish(STREAMS.wallet, request(demo, '100').depositRequested());
    expect(await until(staff, (figures) => figures.pendingDepositCount === 1)).toMatchObject({ pendingWithdrawalCount: 0, pendingWithdrawalAmount: '0.00' });
    expect(await server.deps.prisma.pendingRequestTotals.findUniqueOrThrow({ where: { brandId: demo.id } })).toMatchObject({
      withdrawalCount: 0,
      withdrawalAmountMinor: 0n,
    });
  });

  it('keeps each brand to its own figures, in its own currency, and counts today\'s registrations', async () => {
    const { demo, acme } = server.brands;
    const acmeStaff = await subscribe(staffOf(acme));
    const demoStaff = await subscribe(staffOf(demo));
    const demoBefore = (await demoStaff.next()).data!.topInfo;
    expect((await acmeStaff.next()).data?.topInfo).toMatchObject({ pendingDepositCount: 0, pendingDepositAmount: '0' });

    await publish(STREAMS.wallet, request(acme, '10000').depositRequested());
    expect(await until(acmeStaff, (figures) => figures.pendingDepositCount === 1)).toMatchObject({ pendingDepositAmount: '10000' });
    await publish(STREAMS.player, registration(demo));
    const demoAfter = await until(demoStaff, (figures) => figures.newPlayersToday === 1);
    // acme's deposit never reached demo's figures.
    expect(demoAfter).toMatchObject({ pendingDepositCount: demoBefore.pendingDepositCount, pendingDepositAmount: demoBefore.pendingDepositAmount });
  });

  it('reads the figures again for each new subscriber, so a missed notice leaves nobody stale once someone subscribes', async () => {
    const { acme } = server.brands;
    const watching = await subscribe(staffOf(acme));
    const before = (await watching.next()).data!.topInfo;
    // A change whose notice never came (a worker that died between its commit and the publish).
    await server.deps.prisma.pendingRequestTotals.upsert({
      where: { brandId: acme.id },
      create: { brandId: acme.id, depositCount: 5 },
      update: { depositCount: { increment: 5 } },
    });
    const joining = await subscribe(staffOf(acme));
    const expected = { pendingDepositCount: before.pendingDepositCount + 5 };
    expect((await joining.next()).data?.topInfo).toMatchObject(expected);
    expect((await watching.next()).data?.topInfo).toMatchObject(expected);
    await server.deps.prisma.pendingRequestTotals.update({ where: { brandId: acme.id }, data: { depositCount: { decrement: 5 } } });
  });

  it('refuses a player, and staff of another brand, with FORBIDDEN and completes', async () => {
    const { demo, acme } = server.brands;
    const player = await subscribe(signedIn(demo, 'player', randomUUID()));
    await player.completed;
    expect(player.results.map((result) => result.errors?.[0]?.extensions?.code)).toEqual(['FORBIDDEN']);
    const otherBrand = await subscribe({ brand: demo, caller: { kind: 'staff', id: randomUUID(), brandId: acme.id, sessionId: randomUUID() } });
    await otherBrand.completed;
    expect(otherBrand.results.map((result) => result.errors?.[0]?.extensions?.code)).toEqual(['FORBIDDEN']);
    const anonymous = await subscribe({ brand: demo, caller: null });
    await anonymous.completed;
    expect(anonymous.results.map((result) => result.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it("counts as stale the pending requests waiting past the brand's threshold (15 minutes for deposits, 30 for withdrawals), until decided", async () => {
    const { acme } = server.brands;
    const staff = await subscribe(staffOf(acme));
    const before = (await staff.next()).data!.topInfo;
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const [staleDeposit, freshDeposit, staleWithdrawal, freshWithdrawal] = [request(acme, '1000'), request(acme, '2000'), request(acme, '3000'), request(acme, '4000')];
    await publish(STREAMS.wallet, staleDeposit.depositRequested(minutesAgo(16)));
    await publish(STREAMS.wallet, freshDeposit.depositRequested(minutesAgo(14)));
    await publish(STREAMS.wallet, staleWithdrawal.withdrawRequested(minutesAgo(31)));
    await publish(STREAMS.wallet, freshWithdrawal.withdrawRequested(minutesAgo(29)));
    const waiting = await until(
      staff,
      (figures) => figures.pendingDepositCount === before.pendingDepositCount + 2 && figures.pendingWithdrawalCount === before.pendingWithdrawalCount + 2,
    );
    expect(waiting).toMatchObject({
      stalePendingDepositCount: before.stalePendingDepositCount + 1,
      stalePendingWithdrawalCount: before.stalePendingWithdrawalCount + 1,
    });
    await publish(STREAMS.wallet, staleDeposit.depositApproved());
    await publish(STREAMS.wallet, staleWithdrawal.withdrawDeclined('PENDING'));
    expect(await until(staff, (figures) => figures.pendingDepositCount === before.pendingDepositCount + 1 && figures.pendingWithdrawalCount === before.pendingWithdrawalCount + 1)).toMatchObject({
      stalePendingDepositCount: before.stalePendingDepositCount,
      stalePendingWithdrawalCount: before.stalePendingWithdrawalCount,
    });
    await publish(STREAMS.wallet, freshDeposit.depositDeclined());
    await publish(STREAMS.wallet, freshWithdrawal.withdrawApproved());
    await until(staff, (figures) => figures.pendingDepositCount === before.pendingDepositCount && figures.pendingWithdrawalCount === before.pendingWithdrawalCount);
  });

  it("shows a request turning stale with time at once, through the stale request check's notice (no event does it)", async () => {
    const { demo } = server.brands;
    const staff = await subscribe(staffOf(demo));
    const before = (await staff.next()).data!.topInfo;
    // Stale a second from now.
    const turning = request(demo, '700');
    await publish(STREAMS.wallet, turning.depositRequested(new Date(Date.now() - 15 * 60_000 + 1_000)));
    expect(await until(staff, (figures) => figures.pendingDepositCount === before.pendingDepositCount + 1)).toMatchObject({
      stalePendingDepositCount: before.stalePendingDepositCount,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await checkStaleRequests(server.deps.prisma, redis, createLogger('top-info-test', 'silent'));
    // Well before the feed's own 15 s refresh would have read it.
    const deadline = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no update within 5 s of the check')), 5_000).unref());
    const shown = await Promise.race([until(staff, (figures) => figures.stalePendingDepositCount > before.stalePendingDepositCount), deadline]);
    expect(shown).toMatchObject({ pendingDepositCount: before.pendingDepositCount + 1, stalePendingDepositCount: before.stalePendingDepositCount + 1 });
    await publish(STREAMS.wallet, turning.depositDeclined());
  });

  it('counts the texts in the reconciliation review queue live: each opening once, each closing taking one off, in any order, per brand', async () => {
    const { acme, demo } = server.brands;
    const acmeStaff = await subscribe(staffOf(acme));
    const demoStaff = await subscribe(staffOf(demo));
    const before = (await acmeStaff.next()).data!.topInfo.unmatchedReconCount;
    const demoBefore = (await demoStaff.next()).data!.topInfo.unmatchedReconCount;
    const [unmatched, ambiguous] = [reconText(acme), reconText(acme)];
    const opened = unmatched.reviewOpened();
    await publish(STREAMS.recon, opened);
    await publish(STREAMS.recon, ambiguous.reviewOpened('AMBIGUOUS'));
    // Redelivered: counted once.
    await publish(STREAMS.recon, opened);
    expect(await until(acmeStaff, (figures) => figures.unmatchedReconCount !== before + 1)).toMatchObject({ unmatchedReconCount: before + 2 });
    // acme's texts are not demo's.
    const demoText = reconText(demo);
    await publish(STREAMS.recon, demoText.reviewOpened());
    expect(await until(demoStaff, (figures) => figures.unmatchedReconCount !== demoBefore)).toMatchObject({ unmatchedReconCount: demoBefore + 1 });

    // Staff dismiss one (their action passes by the top-info), the other is matched by hand.
    await publish(STREAMS.recon, unmatched.reviewClosed('DISMISSED'));
    await publish(STREAMS.recon, unmatched.dismissedBy(randomUUID()));
    expect(await until(acmeStaff, (figures) => figures.unmatchedReconCount !== before + 2)).toMatchObject({ unmatchedReconCount: before + 1 });
    await publish(STREAMS.recon, ambiguous.reviewClosed('MATCHED'));
    await publish(STREAMS.recon, ambiguous.depositMatched());
    expect(await until(acmeStaff, (figures) => figures.unmatchedReconCount !== before + 1)).toMatchObject({ unmatchedReconCount: before });

    // A closing applied before its opening (a retried event after its successor) ends where both in order would.
    const late = reconText(acme);
    await publish(STREAMS.recon, late.reviewClosed('REPROCESSED'));
    expect(await until(acmeStaff, (figures) => figures.unmatchedReconCount !== before)).toMatchObject({ unmatchedReconCount: before - 1 });
    await publish(STREAMS.recon, late.reviewOpened());
    expect(await until(acmeStaff, (figures) => figures.unmatchedReconCount !== before - 1)).toMatchObject({ unmatchedReconCount: before });
    expect(await server.deps.prisma.reconReviewTotals.findUniqueOrThrow({ where: { brandId: acme.id } })).toMatchObject({ openCount: before });

    await publish(STREAMS.recon, demoText.reviewClosed('DISMISSED'));
    expect(await until(demoStaff, (figures) => figures.unmatchedReconCount !== demoBefore + 1)).toMatchObject({ unmatchedReconCount: demoBefore });
  });

  it('closes a connection without the router\'s signed context, or with a forged one, with 4403', async () => {
    const forger = new ContextTokens('a-secret-that-is-not-the-internal-one', 'router');
    const unsigned = await subscribe(null, {});
    const forged = await subscribe(null, { 'x-rgb-context': await forger.sign(staffOf(server.brands.demo)) });
    for (const refused of [unsigned, forged]) {
      expect((await refused.closed).code).toBe(4403);
      expect(refused.results).toEqual([]);
    }
  });
});
