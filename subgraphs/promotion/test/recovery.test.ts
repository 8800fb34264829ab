/**
 * What a wallet that does not answer leaves behind, and promotion_worker: a redemption claimed
 * while the wallet is down stays PENDING and is paid exactly once later (by the player redeeming
 * again, or by the worker's loop), with the requirement rolling made for it once; one the wallet
 * refuses, or never takes, is FAILED (loud) until staff retry it; and the coupon expiry job. Real
 * PostgreSQL, Redis and HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { StartedWorker } from '@rgb/kit';
import { freePort, type TestSubgraph, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { claimRedemption } from '../src/redemptions';
import { COUPON_EXPIRY_JOB } from '../src/worker';
import {
  asPlayer,
  asStaff,
  COUPON_REDEMPTIONS,
  type CouponPlatform,
  couponCredits,
  type CouponView,
  createCampaign,
  dataOf,
  errorOf,
  idOf,
  redeem,
  RETRY_COUPON,
  staffActionsOn,
  startCouponPlatform,
  uniqueCode,
} from './helpers';

let platform: CouponPlatform;
let walletDown: TestSubgraph;
let worker: StartedWorker | undefined;
beforeAll(async () => {
  platform = await startCouponPlatform();
  walletDown = await platform.startPromotionWithWalletDown();
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;

const startWorker = () => platform.startWorker();

describe('a redemption while the wallet is down', () => {
  it('answers SERVICE_UNAVAILABLE, stays PENDING counted in the limits, and the same player redeeming again is paid once', async () => {
    const code = uniqueCode('down');
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '7.00', totalLimit: 5 }, code);
    const player = asPlayer(demo());
    const refused = errorOf(await redeem(walletDown, player, code));
    expect(refused.code).toBe('SERVICE_UNAVAILABLE');
    const redemptionId = refused.extensions.redemptionId as string;
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).toMatchObject({
      status: 'PENDING',
      payAttempts: 1,
      lastPayError: expect.stringContaining('promotions/credit'),
    });
    expect(await platform.prisma.couponCampaign.findUniqueOrThrow({ where: { id: campaign.id } })).toMatchObject({ redeemed: 1, spent: 700n });
    expect(await couponCredits(platform.prisma, idOf(player))).toEqual([]);
    // Asked again while the wallet is still down: the same redemption, still pending, nothing claimed twice.
    expect(errorOf(await redeem(walletDown, player, code)).extensions.redemptionId).toBe(redemptionId);

    const { redeemCoupon } = dataOf(await redeem(platform.promotion, player, code));
    expect(redeemCoupon).toMatchObject({ id: redemptionId, status: 'PAID' });
    expect(await platform.prisma.couponCampaign.findUniqueOrThrow({ where: { id: campaign.id } })).toMatchObject({ redeemed: 1, spent: 700n });
    expect(await couponCredits(platform.prisma, idOf(player))).toHaveLength(1);
    expect(errorOf(await redeem(platform.promotion, player, code)).extensions.reason).toBe('PLAYER_LIMIT_REACHED');
    await expectBooks(platform.admin, { [idOf(player)]: 700n });
  });
});

type FailureView = CouponView & { attempts: number | null; lastError: string | null };

/** The brand's FAILED redemptions of the campaign, as staff see them. */
const failedOf = async (campaignId: string) =>
  dataOf(await platform.promotion.graphql<{ couponRedemptions: { edges: { node: FailureView }[] } }>(COUPON_REDEMPTIONS, { status: 'FAILED', campaignId }, asStaff(demo())))
    .couponRedemptions.edges.map(({ node }) => node);

async function healthOf(running: StartedWorker): Promise<{ status: number; body: string }> {
  const response = await fetch(`${running.url}/health`);
  return { status: response.status, body: await response.text() };
}

describe('a redemption that cannot be paid', () => {
  it('the wallet refuses (the player is another brand\'s): FAILED at once, still counted in the budget, shown to staff and not to the player', async () => {
    const code = uniqueCode('refused');
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '3.00', budget: '30.00' }, code);
    const playerId = randomUUID();
    // The player's wallet is on acme: the wallet refuses to credit it for demo (FORBIDDEN), however often asked.
    const acmeCode = uniqueCode('acme-first');
    await createCampaign(platform.promotion, acme(), { amount: '1000' }, acmeCode);
    dataOf(await redeem(platform.promotion, asPlayer(acme(), playerId), acmeCode));

    const refused = errorOf(await redeem(platform.promotion, asPlayer(demo(), playerId), code));
    expect(refused.code).toBe('INTERNAL_SERVER_ERROR');
    const redemptionId = refused.extensions.redemptionId as string;
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).toMatchObject({
      status: 'FAILED',
      payAttempts: 1,
      lastPayError: expect.stringContaining('refused FORBIDDEN'),
    });
    expect(await platform.prisma.couponCampaign.findUniqueOrThrow({ where: { id: campaign.id } })).toMatchObject({ redeemed: 1, spent: 300n });
    expect(await failedOf(campaign.id)).toMatchObject([{ id: redemptionId, status: 'FAILED', attempts: 1, lastError: expect.stringContaining('FORBIDDEN') }]);
    const own = dataOf(
      await platform.promotion.graphql<{ _entities: { coupons: { edges: { node: FailureView }[] } }[] }>(
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Player { coupons { edges { node { id status attempts lastError } } } } } }`,
        { r: [{ __typename: 'Player', id: playerId }] },
        asPlayer(demo(), playerId),
      ),
    )._entities[0]!.coupons.edges.map(({ node }) => node);
    expect(own).toEqual([{ id: redemptionId, status: 'FAILED', attempts: null, lastError: null }]);
    // Retried, the wallet refuses again: FAILED again, never paid.
    expect(dataOf(await platform.promotion.graphql<{ retryCouponRedemption: FailureView }>(RETRY_COUPON, { id: redemptionId }, asStaff(demo()))).retryCouponRedemption).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
    const retrying = await startWorker();
    await waitFor('FAILED again', async () => (await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).status === 'FAILED');
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).toMatchObject({ payAttempts: 1 });
    expect(await (await fetch(`${retrying.metricsUrl}/metrics`)).text()).toMatch(/promotion_coupon_redemptions_failed_total{service="promotion_worker"} 1\n/);
    await retrying.close();
    // Out of the way of the other tests' workers, which are unhealthy while any redemption is FAILED.
    await platform.prisma.couponRedemption.delete({ where: { id: redemptionId } });
    expect(await platform.prisma.ledgerEntry.count({ where: { playerId, brandId: demo().id } })).toBe(0);
    await expectBooks(platform.admin, { [playerId]: 1_000n });
  });

  it('the wallet never answers: FAILED after its attempts, counted, the worker unhealthy; retried by staff, paid once', async () => {
    const code = uniqueCode('undelivered');
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '4.00' }, code);
    const player = asPlayer(demo());
    const redemptionId = errorOf(await redeem(walletDown, player, code)).extensions.redemptionId as string;
    await platform.prisma.couponRedemption.update({ where: { id: redemptionId }, data: { nextPayAt: new Date() } });
    const failing = await platform.startWorker({ WALLET_URL: `http://127.0.0.1:${await freePort()}`, PAY_MAX_ATTEMPTS: '2' });
    await waitFor('the redemption FAILED', async () => (await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).status === 'FAILED');
    expect(await failedOf(campaign.id)).toMatchObject([{ id: redemptionId, attempts: 2, lastError: expect.stringContaining('promotions/credit'), paidAt: null }]);
    expect(await (await fetch(`${failing.metricsUrl}/metrics`)).text()).toMatch(/promotion_coupon_redemptions_failed_total{service="promotion_worker"} 1\n/);
    expect(await (await fetch(`${failing.metricsUrl}/metrics`)).text()).toMatch(/promotion_coupon_redemptions{status="FAILED",service="promotion_worker"} 1\n/);
    const unhealthy = await waitFor('the worker unhealthy', async () => {
      const health = await healthOf(failing);
      return health.status === 503 && health;
    }, 20_000);
    expect(unhealthy.body).toContain('coupon redemption(s) FAILED');
    await failing.close();

    expect(errorOf(await platform.promotion.graphql(RETRY_COUPON, { id: randomUUID() }, asStaff(demo()))).code).toBe('NOT_FOUND');
    expect(errorOf(await platform.promotion.graphql(RETRY_COUPON, { id: redemptionId }, asPlayer(demo()))).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(RETRY_COUPON, { id: redemptionId }, asStaff(acme()))).code).toBe('NOT_FOUND');
    const staff = asStaff(demo());
    expect(dataOf(await platform.promotion.graphql<{ retryCouponRedemption: FailureView }>(RETRY_COUPON, { id: redemptionId }, staff)).retryCouponRedemption).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
    expect(errorOf(await platform.promotion.graphql(RETRY_COUPON, { id: redemptionId }, staff)).code).toBe('CONFLICT');
    expect(await staffActionsOn(platform.prisma, redemptionId)).toMatchObject([
      { action: 'coupon_redemption.retry', staff_id: idOf(staff), before: { status: 'FAILED', last_error: expect.stringContaining('promotions/credit') }, after: { status: 'PENDING' } },
    ]);
    const healthy = await startWorker();
    await waitFor('paid after the retry', async () => (await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemptionId } })).status === 'PAID');
    await waitFor('the worker healthy', async () => (await healthOf(healthy)).status === 200, 15_000);
    await healthy.close();
    expect(await couponCredits(platform.prisma, idOf(player))).toMatchObject([{ amount: 400n }]);
    await expectBooks(platform.admin, { [idOf(player)]: 400n });
  }, 60_000);
});

describe('promotion_worker', () => {
  it('pays a redemption left pending (its requirement already made) exactly once, and is healthy once it has', async () => {
    const code = uniqueCode('acme-down');
    await createCampaign(platform.promotion, acme(), { amount: '5000', rollingMultiplierBps: 10_000 }, code);
    const players = [asPlayer(acme()), asPlayer(acme())];
    const ids: string[] = [];
    for (const player of players) {
      const refused = errorOf(await redeem(walletDown, player, code));
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      ids.push(refused.extensions.redemptionId as string);
    }
    // Rolling answered before the wallet failed: each redemption has its requirement, and no credit.
    for (const [index, player] of players.entries()) {
      const rollings = await platform.prisma.rolling.findMany({ where: { playerId: idOf(player) } });
      expect(rollings).toMatchObject([{ sourceId: ids[index], required: 5_000n }]);
      expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: ids[index]! } })).toMatchObject({ status: 'PENDING', rollingId: rollings[0]!.id });
    }

    worker = await startWorker();
    await waitFor('the worker pays both', async () => (await platform.prisma.couponRedemption.count({ where: { id: { in: ids }, status: 'PAID' } })) === 2, 15_000);
    for (const [index, player] of players.entries()) {
      expect(await couponCredits(platform.prisma, idOf(player))).toMatchObject([{ commandKey: `promotion.credit:${acme().id}:coupon:${ids[index]}`, amount: 5_000n }]);
      expect(await platform.prisma.rolling.count({ where: { playerId: idOf(player) } })).toBe(1);
    }
    const running = worker;
    await waitFor('the worker healthy', async () => (await fetch(`${running.url}/health`)).status === 200, 10_000);
    await expectBooks(platform.admin, Object.fromEntries(players.map((player) => [idOf(player), 5_000n])));
  });

  it('pays a redemption whose API died right after claiming it, once its grace has passed', async () => {
    const code = uniqueCode('crash');
    await createCampaign(platform.promotion, demo(), { amount: '6.00' }, code);
    const player = asPlayer(demo());
    // Step 1 alone, as a request that crashed before paying leaves it.
    const row = await platform.prisma.couponCode.findUniqueOrThrow({ where: { brandId_code: { brandId: demo().id, code } } });
    const claimed = await claimRedemption(platform.prisma, row, idOf(player));
    expect(claimed.nextPayAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
    await platform.prisma.couponRedemption.update({ where: { id: claimed.id }, data: { nextPayAt: new Date() } });
    await waitFor('the worker pays it', async () => (await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: claimed.id } })).status === 'PAID');
    expect(await couponCredits(platform.prisma, idOf(player))).toMatchObject([{ amount: 600n }]);
    await expectBooks(platform.admin, { [idOf(player)]: 600n });
  });

  it(`expires campaigns past their validUntil (${COUPON_EXPIRY_JOB}), and no other`, async () => {
    const lapsed = await createCampaign(platform.promotion, demo(), { validUntil: '2999-01-01T00:00:00Z' });
    const lasting = await createCampaign(platform.promotion, demo(), { validUntil: '2999-01-01T00:00:00Z' });
    const open = await createCampaign(platform.promotion, demo());
    await platform.prisma.couponCampaign.update({ where: { id: lapsed.id }, data: { validUntil: new Date(Date.now() - 1_000) } });
    // The job ran when the worker started: make its window due again, as the next minute would.
    await platform.prisma.$executeRaw`
      UPDATE platform.scheduled_job SET last_success_window_start = last_success_window_start - interval_ms * interval '1 millisecond' WHERE name = ${COUPON_EXPIRY_JOB}`;
    const expired = await waitFor('the campaign expired', async () => {
      const row = await platform.prisma.couponCampaign.findUniqueOrThrow({ where: { id: lapsed.id } });
      return row.status === 'EXPIRED' && row;
    });
    expect(expired.endedAt).not.toBeNull();
    const others = await platform.prisma.couponCampaign.findMany({ where: { id: { in: [lasting.id, open.id] } } });
    expect(others.map(({ status }) => status)).toEqual(['ACTIVE', 'ACTIVE']);
  });
});
