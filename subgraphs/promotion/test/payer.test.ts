/**
 * The payout queues under several promotion_worker replicas: each claims its own due payouts,
 * a failed attempt never overwrites a payout another replica paid, and a FAILED payout slows no
 * other; staff cancel a FAILED payout with its requirement. Real PostgreSQL, Redis and HTTP (the
 * wallet and rolling of the platform).
 */
import { randomUUID } from 'node:crypto';
import type { CouponRedemption } from '@rgb/db';
import { rollingRoutes } from '@rgb/contracts';
import { freePort, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { type BonusPayer, bonusPayer, type ClosablePayer, failedPayouts, payDue, type PayoutQueue } from '../src/payer';
import { claimRedemption, couponRedemptionQueue } from '../src/redemptions';
import {
  asPlayer,
  asStaff,
  COUPON_FIELDS,
  type CouponPlatform,
  couponCredits,
  createCampaign,
  dataOf,
  errorOf,
  idOf,
  RETRY_COUPON,
  staffActionsOn,
  startCouponPlatform,
  uniqueCode,
} from './helpers';

let platform: CouponPlatform;
let payer: ClosablePayer;
beforeAll(async () => {
  platform = await startCouponPlatform();
  // One attempt: any failure at all leaves its payout FAILED, so a race that fails shows.
  payer = bonusPayer(
    { WALLET_URL: platform.wallet.url, ROLLING_URL: platform.rolling.url, PAY_RETRY_MS: 100, PAY_MAX_ATTEMPTS: 1 },
    { serviceTokens: platform.promotion.deps.serviceTokens, log: platform.promotion.deps.log },
    'promotion_worker',
  );
}, 60_000);
afterAll(async () => {
  await payer?.close();
  await platform?.close();
});

const demo = () => platform.brands.demo;
const brandOf = (brandId: string) => (brandId === demo().id ? demo() : undefined);

/** `count` redemptions of a new 1.00 campaign (rolling 1x) by as many players, claimed and due now. */
async function dueRedemptions(count: number): Promise<CouponRedemption[]> {
  const code = uniqueCode('replicas');
  await createCampaign(platform.promotion, demo(), { amount: '1.00', rollingMultiplierBps: 10_000 }, code);
  const row = await platform.prisma.couponCode.findUniqueOrThrow({ where: { brandId_code: { brandId: demo().id, code } } });
  const claimed: CouponRedemption[] = [];
  for (let index = 0; index < count; index += 1) claimed.push(await claimRedemption(platform.prisma, row, randomUUID()));
  await platform.prisma.couponRedemption.updateMany({ where: { id: { in: claimed.map((one) => one.id) } }, data: { nextPayAt: new Date() } });
  return claimed;
}

/** The redemptions' players each credited once, their requirements made once, and the books whole. */
async function expectPaidOnce(redemptions: CouponRedemption[]) {
  const ids = redemptions.map((one) => one.id);
  expect(await platform.prisma.couponRedemption.count({ where: { id: { in: ids }, status: 'PAID', paidAt: { not: null } } })).toBe(ids.length);
  for (const { playerId } of redemptions) {
    expect(await couponCredits(platform.prisma, playerId)).toMatchObject([{ amount: 100n }]);
    expect(await platform.prisma.rolling.count({ where: { playerId } })).toBe(1);
  }
  await expectBooks(platform.admin, Object.fromEntries(redemptions.map(({ playerId }) => [playerId, 100n])));
}

const queue = (): PayoutQueue<CouponRedemption> => couponRedemptionQueue(platform.prisma, payer as BonusPayer);

describe('two replicas', () => {
  it('claim disjoint batches of the due payouts', async () => {
    const claimed = await dueRedemptions(30);
    const [first, second] = await Promise.all([queue().due(20), queue().due(20)]);
    const taken = [...first!, ...second!].map((one) => one.id);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.sort()).toEqual(claimed.map((one) => one.id).sort());
    // Claimed: no third replica takes them before their lease ends.
    expect(await queue().due(20)).toEqual([]);
    await platform.prisma.couponRedemption.updateMany({ where: { id: { in: taken } }, data: { nextPayAt: new Date() } });
    await payDue(queue(), payer, brandOf, { onFailed: () => {} });
    await expectPaidOnce(claimed);
  });

  it('paying the same due payouts at once credit each once and leave none FAILED', async () => {
    const claimed = await dueRedemptions(20);
    let failed = 0;
    const options = { onFailed: () => (failed += 1), batchSize: 20 };
    const results = await Promise.all([payDue(queue(), payer, brandOf, options), payDue(queue(), payer, brandOf, options)]);
    expect(results.reduce((sum, result) => sum + result.paid, 0)).toBe(20);
    expect(failed).toBe(0);
    await expectPaidOnce(claimed);
  });

  it('a failed attempt leaves a payout another replica paid as it is', async () => {
    const [redemption] = await dueRedemptions(1);
    const [taken] = await queue().due(1);
    expect(taken?.id).toBe(redemption!.id);
    // Its lease ran out while the first replica was still at it: another replica pays it.
    await platform.prisma.couponRedemption.update({ where: { id: redemption!.id }, data: { nextPayAt: new Date() } });
    await payDue(queue(), payer, brandOf, { onFailed: () => {} });
    const paid = await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemption!.id } });
    expect(paid.status).toBe('PAID');
    // The replica that took it first failed (its wallet call timed out, say) after the other paid it.
    expect(await queue().recordFailure(taken!, new Error('wallet timed out'))).toBeNull();
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemption!.id } })).toEqual(paid);
    await expectPaidOnce([redemption!]);
  });
});

describe('a FAILED payout', () => {
  it('slows no other: the others are paid at full pace, and the worker is unhealthy naming it', async () => {
    const [failed] = await dueRedemptions(1);
    await platform.prisma.couponRedemption.update({ where: { id: failed!.id }, data: { status: 'FAILED', lastPayError: 'wallet refused' } });
    const due = await dueRedemptions(200);
    // Neither batch throws for the FAILED one.
    const first = await payDue(queue(), payer, brandOf, { onFailed: () => {} });
    const second = await payDue(queue(), payer, brandOf, { onFailed: () => {} });
    expect(first.paid + second.paid).toBe(200);
    await expectPaidOnce(due);

    const worker = await platform.startWorker();
    const unhealthy = await waitFor('the worker unhealthy', async () => {
      const response = await fetch(`${worker.url}/health`);
      return response.status === 503 && (await response.text());
    }, 20_000);
    expect(unhealthy).toContain('FAILED payouts');
    expect(unhealthy).toContain('1 coupon redemption(s) FAILED');
    expect(unhealthy).toContain('wallet refused');
    // Paid at the loop's pace meanwhile: a new due payout waits for no backoff.
    const [later] = await dueRedemptions(1);
    await waitFor('paid within a couple of turns', async () => (await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: later!.id } })).status === 'PAID', 3_000);
    await worker.close();
    // Out of the way of the other tests' workers.
    await platform.prisma.couponRedemption.delete({ where: { id: failed!.id } });
  }, 60_000);
});

const CANCEL_COUPON = `mutation ($id: ID!, $reason: String!) { cancelCouponRedemption(id: $id, reason: $reason) { ${COUPON_FIELDS} attempts lastError } }`;
const CANCEL_ITEM = 'mutation ($id: ID!, $reason: String!) { cancelSettlementItem(id: $id, reason: $reason) { id status } }';

describe('staff cancel a FAILED payout', () => {
  it("CANCELED with its requirement: the player's withdrawals no longer wait for it, and the worker is healthy again", async () => {
    // Rolling made the requirement; the wallet never took the credit: FAILED at its one attempt.
    const [redemption] = await dueRedemptions(1);
    const walletDown = bonusPayer(
      { WALLET_URL: `http://127.0.0.1:${await freePort()}`, ROLLING_URL: platform.rolling.url, PAY_RETRY_MS: 100, PAY_MAX_ATTEMPTS: 1 },
      { serviceTokens: platform.promotion.deps.serviceTokens, log: platform.promotion.deps.log },
      'promotion_worker',
    );
    await payDue(couponRedemptionQueue(platform.prisma, walletDown), walletDown, brandOf, { onFailed: () => {} });
    await walletDown.close();
    const { id, playerId } = redemption!;
    const failed = await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id } });
    expect(failed).toMatchObject({ status: 'FAILED', rollingId: expect.any(String) });
    const withdrawal = async () => {
      const answer = await payer.rolling.call(rollingRoutes.withdrawalCheck, { brand: demo(), playerId, approvedDeposits: 0 }, {});
      if (!answer.ok) throw new Error(answer.refusal.message);
      return answer.value;
    };
    expect(await withdrawal()).toMatchObject({ allowed: false, reason: 'ACTIVE_REQUIREMENT' });
    await expect(failedPayouts([queue()])).rejects.toThrow('1 coupon redemption(s) FAILED');

    const staff = asStaff(demo());
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id, reason: 'player closed' }, asPlayer(demo(), playerId))).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id, reason: 'player closed' }, asStaff(platform.brands.acme))).code).toBe('NOT_FOUND');
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id: randomUUID(), reason: 'player closed' }, staff)).code).toBe('NOT_FOUND');
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id, reason: '  ' }, staff)).code).toBe('BAD_USER_INPUT');
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id } })).toEqual(failed);

    const canceled = dataOf(await platform.promotion.graphql<{ cancelCouponRedemption: { status: string } }>(CANCEL_COUPON, { id, reason: ' player closed ' }, staff));
    expect(canceled.cancelCouponRedemption).toMatchObject({ status: 'CANCELED', paidAt: null });
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'CANCELED', cancelReason: 'player closed', paidAt: null });
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: failed.rollingId! } })).toMatchObject({
      status: 'CANCELED',
      cancelReason: 'coupon redemption canceled: player closed',
    });
    expect(await withdrawal()).toMatchObject({ allowed: true, active_requirements: 0 });
    expect(await staffActionsOn(platform.prisma, id)).toMatchObject([
      { action: 'coupon_redemption.cancel', staff_id: idOf(staff), before: { status: 'FAILED', last_error: expect.any(String) }, after: { status: 'CANCELED', reason: 'player closed' } },
    ]);
    await expect(failedPayouts([queue()])).resolves.toBeUndefined();

    // Closed: neither canceled nor retried again, and never paid.
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id, reason: 'again' }, staff)).code).toBe('CONFLICT');
    expect(errorOf(await platform.promotion.graphql(RETRY_COUPON, { id }, staff)).code).toBe('CONFLICT');
    await payDue(queue(), payer, brandOf, { onFailed: () => {} });
    expect(await couponCredits(platform.prisma, playerId)).toEqual([]);
    await expectBooks(platform.admin, { [playerId]: null });
  });

  it('refuses a payout that is not FAILED with CONFLICT, and changes nothing', async () => {
    const [pending] = await dueRedemptions(1);
    await platform.prisma.couponRedemption.update({ where: { id: pending!.id }, data: { nextPayAt: new Date(Date.now() + 3_600_000) } });
    const before = await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: pending!.id } });
    expect(errorOf(await platform.promotion.graphql(CANCEL_COUPON, { id: pending!.id, reason: 'too early' }, asStaff(demo()))).code).toBe('CONFLICT');
    expect(await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: pending!.id } })).toEqual(before);
    expect(await staffActionsOn(platform.prisma, pending!.id)).toEqual([]);
    await platform.prisma.couponRedemption.delete({ where: { id: pending!.id } });
    // Settlement items go the same way (cancelFailedItem): an unknown one is NOT_FOUND.
    expect(errorOf(await platform.promotion.graphql(CANCEL_ITEM, { id: randomUUID(), reason: 'gone' }, asStaff(demo()))).code).toBe('NOT_FOUND');
  });
});
