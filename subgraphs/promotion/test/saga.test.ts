/**
 * The settlement saga under faults, and staff's reversals: a run whose payment stopped between the
 * wallet's credit and marking the item paid is paid exactly once after a restart; an item the
 * wallet never takes is FAILED after its attempts, one it refuses at once (a metric, the worker
 * unhealthy, visible to staff) until staff retry it; reversals take back at most what was paid,
 * once, audited, recorded before the wallet moves and completed after a fault, a refused one
 * counting for nothing. Real PostgreSQL, Redis, wallet, rolling and promotion_worker.
 */
import { randomUUID } from 'node:crypto';
import { walletRoutes } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { StartedWorker } from '@rgb/kit';
import { freePort, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { bet } from '../../wallet/test/stream-events';
import { loadPromotionConfig } from '../src/index';
import { bonusPayer } from '../src/payer';
import { payItem } from '../src/settlements';
import {
  asPlayer,
  PLAYER_PAYOUTS,
  asStaff,
  couponCredits,
  type CouponPlatform,
  createCampaign,
  createProgram,
  dataOf,
  errorOf,
  itemsByPlayer,
  nodesOf,
  type Page,
  type ItemView,
  redeem,
  RETRY_ITEM,
  REVERSE_COUPON,
  REVERSE_ITEM,
  RUN,
  type RunView,
  settle,
  settlementCredits,
  staffActionsOn,
  startCouponPlatform,
  uniqueCode,
} from './helpers';

let platform: CouponPlatform;
beforeAll(async () => {
  platform = await startCouponPlatform();
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

const demo = () => platform.brands.demo;

/** A rebate of 10 % on slots, `day`'s bets of `players` (stake 50.00 each) counted by a worker that is then stopped, and the day settled: its items PENDING. */
async function settledWithoutWorker(day: string, players: string[], rollingMultiplierBps = 10_000): Promise<RunView> {
  const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 1_000 }], rollingMultiplierBps }, day);
  const counting = await platform.startWorker();
  await platform.publish(...players.map((player) => bet(demo(), player, { stake: 5_000n }).settled({ at: new Date(`${day}T12:00:00Z`) })));
  await counting.close();
  return dataOf(await settle(platform.promotion, demo(), program.id, day)).settlePromotionPeriod;
}

/** A prisma client whose marking of settlement items fails, as a process killed right after the wallet's credit leaves it. */
function markingFails(prisma: PrismaClient): PrismaClient {
  const items = new Proxy(prisma.settlementItem, {
    get: (target, property, receiver) => (property === 'updateMany' ? () => Promise.reject(new Error('killed before marking the item paid')) : Reflect.get(target, property, receiver)),
  });
  return new Proxy(prisma, { get: (target, property, receiver) => (property === 'settlementItem' ? items : Reflect.get(target, property, receiver)) });
}

async function healthOf(worker: StartedWorker): Promise<{ status: number; body: string }> {
  const response = await fetch(`${worker.url}/health`);
  return { status: response.status, body: await response.text() };
}

describe('the saga killed between crediting and marking paid', () => {
  it('leaves the item PENDING with the credit made, and a restarted worker marks it paid without paying twice', async () => {
    const player = randomUUID();
    const run = await settledWithoutWorker('2026-02-02', [player]);
    const item = itemsByPlayer(run)[player]!;
    const row = await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: item.id } });
    const payer = bonusPayer(loadPromotionConfig({ NODE_ENV: 'test', WALLET_URL: platform.wallet.url, ROLLING_URL: platform.rolling.url }), platform.promotion.deps, 'promotion');
    try {
      await expect(payItem(markingFails(platform.prisma), payer, demo(), row)).rejects.toThrow('killed before marking');
    } finally {
      await payer.close();
    }
    expect(await settlementCredits(platform.prisma, player)).toMatchObject([{ amount: 500n }]);
    expect(await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ status: 'PENDING', rollingId: expect.any(String) });

    const worker = await platform.startWorker();
    await waitFor('the restarted worker marks it paid', async () => (await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: item.id } })).status === 'PAID');
    await worker.close();
    expect(await settlementCredits(platform.prisma, player)).toHaveLength(1);
    expect(await platform.prisma.rolling.findMany({ where: { playerId: player } })).toMatchObject([{ sourceId: item.id, required: 500n }]);
    await expectBooks(platform.admin, { [player]: 500n });
  });
});

describe('an item that cannot be delivered', () => {
  it('is FAILED after its attempts, counted, the worker unhealthy and staff shown why; retried by staff, it is paid once', async () => {
    const player = randomUUID();
    const run = await settledWithoutWorker('2026-02-03', [player], 0);
    const itemId = itemsByPlayer(run)[player]!.id;
    const failing = await platform.startWorker({ WALLET_URL: `http://127.0.0.1:${await freePort()}`, PAY_MAX_ATTEMPTS: '2' });
    await waitFor('the item FAILED', async () => (await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: itemId } })).status === 'FAILED');
    const shown = dataOf(await platform.promotion.graphql<{ settlementRun: RunView }>(RUN, { id: run.id }, asStaff(demo()))).settlementRun;
    expect(itemsByPlayer(shown)[player]).toMatchObject({ status: 'FAILED', attempts: 2, lastError: expect.stringContaining('promotions/credit'), paidAt: null });
    // The player sees the payout's state, not the platform's internal error.
    const own = dataOf(await platform.promotion.graphql<{ _entities: { promotionPayouts: Page<ItemView> }[] }>(PLAYER_PAYOUTS, { r: [{ __typename: 'Player', id: player }] }, asPlayer(demo(), player)));
    expect(nodesOf(own._entities[0]!.promotionPayouts)).toMatchObject([{ id: itemId, status: 'FAILED', lastError: null }]);
    const failedList = dataOf(await platform.promotion.graphql<{ settlementItems: { edges: { node: ItemView }[] } }>(
      `{ settlementItems(status: FAILED, first: 100) { edges { node { id status } } } }`, {}, asStaff(demo()),
    )).settlementItems.edges.map(({ node }) => node);
    expect(failedList).toEqual([{ id: itemId, status: 'FAILED' }]);
    expect(await (await fetch(`${failing.metricsUrl}/metrics`)).text()).toMatch(/promotion_settlement_items_failed_total{service="promotion_worker"} 1\n/);
    const unhealthy = await waitFor('the worker unhealthy', async () => {
      const health = await healthOf(failing);
      return health.status === 503 && health;
    }, 20_000);
    expect(unhealthy.body).toContain('FAILED');
    await failing.close();

    expect(errorOf(await platform.promotion.graphql(RETRY_ITEM, { id: randomUUID() }, asStaff(demo()))).code).toBe('NOT_FOUND');
    expect(dataOf(await platform.promotion.graphql<{ retrySettlementItem: ItemView }>(RETRY_ITEM, { id: itemId }, asStaff(demo()))).retrySettlementItem).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(errorOf(await platform.promotion.graphql(RETRY_ITEM, { id: itemId }, asStaff(demo()))).code).toBe('CONFLICT');
    const worker = await platform.startWorker();
    await waitFor('paid after the retry', async () => (await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: itemId } })).status === 'PAID');
    await waitFor('the worker healthy', async () => (await healthOf(worker)).status === 200, 15_000);
    await worker.close();
    expect(await settlementCredits(platform.prisma, player)).toMatchObject([{ amount: 500n }]);
    await expectBooks(platform.admin, { [player]: 500n });
  }, 60_000);

  it('is FAILED at its first attempt when the wallet refuses it (the player is another brand\'s): a refusal is not retried', async () => {
    const player = randomUUID();
    // The player's wallet is on acme: the wallet refuses demo's credit (FORBIDDEN), however often asked.
    const code = uniqueCode('acme-wallet');
    await createCampaign(platform.promotion, platform.brands.acme, { amount: '1000' }, code);
    dataOf(await redeem(platform.promotion, asPlayer(platform.brands.acme, player), code));
    const run = await settledWithoutWorker('2026-02-05', [player], 0);
    const itemId = itemsByPlayer(run)[player]!.id;
    const worker = await platform.startWorker({ PAY_MAX_ATTEMPTS: '5' });
    await waitFor('the item FAILED', async () => (await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: itemId } })).status === 'FAILED');
    expect(await platform.prisma.settlementItem.findUniqueOrThrow({ where: { id: itemId } })).toMatchObject({ payAttempts: 1, lastPayError: expect.stringContaining('refused FORBIDDEN') });
    expect(await (await fetch(`${worker.metricsUrl}/metrics`)).text()).toMatch(/promotion_settlement_items_failed_total{service="promotion_worker"} 1\n/);
    await worker.close();
    expect(await settlementCredits(platform.prisma, player)).toEqual([]);
    await expectBooks(platform.admin, { [player]: 1_000n });
  });
});

describe('reversals', () => {
  it('take back part of a paid settlement item, once, never more than paid; an unpaid one not at all', async () => {
    const [player, unpaid] = [randomUUID(), randomUUID()];
    const run = await settledWithoutWorker('2026-02-04', [player, unpaid], 0);
    const items = itemsByPlayer(run);
    const worker = await platform.startWorker();
    await waitFor('both paid', async () => (await platform.prisma.settlementItem.count({ where: { runId: run.id, status: 'PAID' } })) === 2);
    await worker.close();
    await platform.prisma.settlementItem.update({ where: { id: items[unpaid]!.id }, data: { status: 'PENDING' } });

    const reverse = (id: string, amount: string, reason = 'bonus abuse') => platform.promotion.graphql<{ reverseSettlementItem: ItemView }>(REVERSE_ITEM, { id, amount, reason }, asStaff(demo()));
    const itemId = items[player]!.id;
    expect(errorOf(await reverse(itemId, '5.01')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await reverse(itemId, '0')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await reverse(itemId, '1.00', ' ')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await reverse(items[unpaid]!.id, '1.00')).code).toBe('CONFLICT');
    expect(errorOf(await reverse(randomUUID(), '1.00')).code).toBe('NOT_FOUND');
    expect(errorOf(await platform.promotion.graphql(REVERSE_ITEM, { id: itemId, amount: '1.00', reason: 'x' }, asPlayer(demo(), player))).code).toBe('FORBIDDEN');
    await expectBooks(platform.admin, { [player]: 500n });

    expect(dataOf(await reverse(itemId, '2.00')).reverseSettlementItem).toMatchObject({ status: 'PAID', amount: '5.00', reversed: '2.00' });
    // The wallet reverses a credit once: what is left of it cannot be taken in a second reversal.
    expect(errorOf(await reverse(itemId, '1.00')).code).toBe('CONFLICT');
    expect(errorOf(await reverse(itemId, '2.00')).code).toBe('CONFLICT');
    expect(await platform.prisma.ledgerEntry.findMany({ where: { playerId: player, kind: 'PROMOTION_REVERSAL' } })).toMatchObject([{ amount: -200n }]);
    expect(await staffActionsOn(platform.prisma, itemId)).toMatchObject([
      { action: 'settlement_item.reverse', before: { amount: '5.00', reversed: '0.00' }, after: { reversed: '2.00', reason: 'bonus abuse' } },
    ]);
    await expectBooks(platform.admin, { [player]: 300n, [unpaid]: 500n });
  });

  it('take back a paid coupon redemption, refused beyond what it paid', async () => {
    const code = uniqueCode('reverse');
    await createCampaign(platform.promotion, demo(), { amount: '7.00' }, code);
    const player = asPlayer(demo());
    const { redeemCoupon } = dataOf(await redeem(platform.promotion, player, code));
    const reverse = (amount: string) => platform.promotion.graphql(REVERSE_COUPON, { id: redeemCoupon.id, amount, reason: 'duplicate account' }, asStaff(demo()));
    expect(errorOf(await reverse('7.01')).code).toBe('BAD_USER_INPUT');
    expect(dataOf(await reverse('7.00'))).toMatchObject({ reverseCouponRedemption: { id: redeemCoupon.id, status: 'PAID', reversed: '7.00' } });
    expect(errorOf(await reverse('7.00')).code).toBe('CONFLICT');
    const playerId = (player.caller as { id: string }).id;
    expect(await couponCredits(platform.prisma, playerId)).toHaveLength(1);
    await expectBooks(platform.admin, { [playerId]: 0n });
  });

  it('a crash between the wallet and recording it: completed exactly once by promotion_worker, or by the same request repeated', async () => {
    const [byWorker, byRepeat] = [randomUUID(), randomUUID()];
    const run = await settledWithoutWorker('2026-02-05', [byWorker, byRepeat], 0);
    const items = itemsByPlayer(run);
    const paying = await platform.startWorker();
    await waitFor('both paid', async () => (await platform.prisma.settlementItem.count({ where: { runId: run.id, status: 'PAID' } })) === 2);
    await paying.close();
    // The step that marks a reversal DONE fails once each time the sequence is set back to 0: the wallet has moved, nothing records it.
    await platform.prisma.$executeRawUnsafe('CREATE SEQUENCE promotion.reversal_fault MINVALUE 0 START 2');
    await platform.prisma.$executeRawUnsafe(`CREATE FUNCTION promotion.reversal_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.status = 'DONE' AND nextval('promotion.reversal_fault') = 1 THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`);
    await platform.prisma.$executeRawUnsafe('CREATE TRIGGER reversal_fault BEFORE UPDATE ON promotion.payout_reversal FOR EACH ROW EXECUTE FUNCTION promotion.reversal_fault()');
    const armFault = () => platform.prisma.$queryRawUnsafe("SELECT setval('promotion.reversal_fault', 0)");
    const reverse = (id: string) => platform.promotion.graphql<{ reverseSettlementItem: ItemView }>(REVERSE_ITEM, { id, amount: '3.00', reason: 'bonus abuse' }, asStaff(demo()));
    const reversalsOf = (player: string) => platform.prisma.ledgerEntry.findMany({ where: { playerId: player, kind: 'PROMOTION_REVERSAL' } });
    try {
      await armFault();
      expect(errorOf(await reverse(items[byWorker]!.id)).code).toBe('SERVICE_UNAVAILABLE');
      expect(await reversalsOf(byWorker)).toMatchObject([{ amount: -300n }]);
      expect(await platform.prisma.payoutReversal.findMany({ where: { payoutId: items[byWorker]!.id } })).toMatchObject([{ status: 'PENDING', amount: 300n }]);
      expect(await platform.prisma.settlementItem.findUnique({ where: { id: items[byWorker]!.id } })).toMatchObject({ reversed: 0n });
      // Recorded PENDING, it counts: nothing more can be taken meanwhile.
      expect(errorOf(await platform.promotion.graphql(REVERSE_ITEM, { id: items[byWorker]!.id, amount: '2.00', reason: 'again' }, asStaff(demo()))).code).toBe('CONFLICT');
      expect(await staffActionsOn(platform.prisma, items[byWorker]!.id)).toMatchObject([{ action: 'settlement_item.reverse', after: { reversed: '3.00', reason: 'bonus abuse' } }]);

      const worker = await platform.startWorker();
      await waitFor('the pending reversal completed', async () => (await platform.prisma.payoutReversal.count({ where: { payoutId: items[byWorker]!.id, status: 'DONE' } })) === 1, 30_000);
      await worker.close();
      expect(await platform.prisma.settlementItem.findUnique({ where: { id: items[byWorker]!.id } })).toMatchObject({ reversed: 300n });
      expect(await reversalsOf(byWorker)).toHaveLength(1);

      await armFault();
      expect(errorOf(await reverse(items[byRepeat]!.id)).code).toBe('SERVICE_UNAVAILABLE');
      expect(dataOf(await reverse(items[byRepeat]!.id)).reverseSettlementItem).toMatchObject({ status: 'PAID', amount: '5.00', reversed: '3.00' });
      expect(errorOf(await reverse(items[byRepeat]!.id)).code).toBe('CONFLICT');
      expect(await reversalsOf(byRepeat)).toMatchObject([{ amount: -300n }]);
      expect(await staffActionsOn(platform.prisma, items[byRepeat]!.id)).toHaveLength(1);
      await expectBooks(platform.admin, { [byWorker]: 200n, [byRepeat]: 200n });
    } finally {
      await platform.prisma.$executeRawUnsafe('DROP TRIGGER reversal_fault ON promotion.payout_reversal');
      await platform.prisma.$executeRawUnsafe('DROP FUNCTION promotion.reversal_fault()');
      await platform.prisma.$executeRawUnsafe('DROP SEQUENCE promotion.reversal_fault');
    }
  }, 60_000);

  it('a reversal the wallet refuses is REFUSED with its code and counts for nothing: a smaller one may follow', async () => {
    const player = randomUUID();
    const run = await settledWithoutWorker('2026-02-06', [player], 0);
    const itemId = itemsByPlayer(run)[player]!.id;
    const paying = await platform.startWorker();
    await waitFor('paid', async () => (await platform.prisma.settlementItem.count({ where: { id: itemId, status: 'PAID' } })) === 1);
    await paying.close();
    // The player has spent 4.00 of the 5.00 paid.
    const payer = bonusPayer(loadPromotionConfig({ NODE_ENV: 'test', WALLET_URL: platform.wallet.url, ROLLING_URL: platform.rolling.url }), platform.promotion.deps, 'promotion');
    try {
      const spent = await payer.wallet.call(walletRoutes.adjustment, { brand: demo(), playerId: player, amount: -400n, key: `spent:${player}`, reference: 'spent', causedBy: 'test', reason: 'spent' });
      expect(spent.ok).toBe(true);
    } finally {
      await payer.close();
    }
    const reverse = (amount: string) => platform.promotion.graphql<{ reverseSettlementItem: ItemView }>(REVERSE_ITEM, { id: itemId, amount, reason: 'bonus abuse' }, asStaff(demo()));
    expect(errorOf(await reverse('3.00')).code).toBe('INSUFFICIENT_FUNDS');
    expect(await platform.prisma.payoutReversal.findMany({ where: { payoutId: itemId } })).toMatchObject([{ status: 'REFUSED', refusalCode: 'INSUFFICIENT_FUNDS', amount: 300n }]);
    expect(await platform.prisma.settlementItem.findUnique({ where: { id: itemId } })).toMatchObject({ reversed: 0n });
    expect(dataOf(await reverse('1.00')).reverseSettlementItem).toMatchObject({ reversed: '1.00' });
    expect(await platform.prisma.ledgerEntry.findMany({ where: { playerId: player, kind: 'PROMOTION_REVERSAL' } })).toMatchObject([{ amount: -100n }]);
    await expectBooks(platform.admin, { [player]: 0n });
  });
});
