import { conflict, DomainError, ErrorCode, notFound } from '@rgb/contracts';
import type { CouponCampaign, CouponCode, CouponRedemption, Prisma, PrismaClient } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, type CallContext, isUuid } from '@rgb/kit';
import { MAX_CODE_LENGTH, normalizeCode } from './codes';
import { type BonusPayer, cancelReasonOf, cancelRequirementOfFailed, claimDue, payBonus, type PayoutQueue, type PayoutTable, recordFailedAttempt } from './payer';
import { auditedChange } from './staff-actions';

/**
 * Redeeming a coupon, in three steps that each happen once whatever fails between them:
 *   1. the claim: one transaction locks the campaign row, checks validity, limits and budget
 *      against its counters, counts the redemption in them and records it PENDING, so no number
 *      of concurrent redeems can pass a limit or the budget;
 *   2. rolling's requirement for the bonus (source id: the redemption's id), before the credit so
 *      that no withdrawal can slip in between; none for a zero multiplier;
 *   3. the wallet's credit under `coupon:<redemption id>`, then the redemption is PAID.
 * A failure in 2 or 3 leaves it PENDING with its next attempt: the worker (or the player redeeming
 * the same code again) repeats 2 and 3 with the same keys, which pay nothing twice. A refusal of
 * the wallet or rolling, or the last of its attempts, leaves it FAILED (ADR-004: loud, a metric,
 * the worker unhealthy) until staff retry it; it still counts in the campaign's limits and budget.
 */

/** Why an existing code cannot be redeemed now: COUPON_UNAVAILABLE's `extensions.reason`. */
export const COUPON_REFUSALS = ['NOT_STARTED', 'EXPIRED', 'DISABLED', 'RECYCLED', 'USED_UP', 'BUDGET_SPENT', 'PLAYER_LIMIT_REACHED'] as const;
export type CouponRefusal = (typeof COUPON_REFUSALS)[number];

const unavailable = (reason: CouponRefusal, message: string) => new DomainError(ErrorCode.COUPON_UNAVAILABLE, message, { reason });

/** How long a claimed redemption is left to the request that claimed it before the worker may pay it too. */
const CLAIM_GRACE_MS = 30_000;
/** A claim (or an agent grant's recycle) waits for the campaign's lock behind the other claims: a burst on one campaign queues rather than fails. */
export const CAMPAIGN_LOCK_TX = { maxWait: 10_000, timeout: 10_000 } as const;

/** Why the campaign refuses one more redemption of `code` now (by a player who has `playerRedemptions` of it already), or null when it accepts it. */
export function refusalOf(campaign: CouponCampaign, code: CouponCode, playerRedemptions: number, now: Date): { reason: CouponRefusal; message: string } | null {
  if (campaign.status === 'DISABLED') return { reason: 'DISABLED', message: 'this coupon has been withdrawn' };
  if (campaign.status === 'RECYCLED') return { reason: 'RECYCLED', message: 'this coupon has been withdrawn by whoever granted it' };
  if (campaign.status === 'EXPIRED' || (campaign.validUntil && campaign.validUntil <= now)) return { reason: 'EXPIRED', message: 'this coupon has expired' };
  if (campaign.validFrom > now) return { reason: 'NOT_STARTED', message: `this coupon is valid from ${campaign.validFrom.toISOString()}` };
  if ((code.singleUse && code.redeemed >= 1) || (campaign.totalLimit !== null && campaign.redeemed >= campaign.totalLimit)) {
    return { reason: 'USED_UP', message: 'this coupon has been used up' };
  }
  if (campaign.budget !== null && campaign.spent + campaign.amount > campaign.budget) return { reason: 'BUDGET_SPENT', message: "this coupon's budget is spent" };
  if (playerRedemptions >= campaign.perPlayerLimit) return { reason: 'PLAYER_LIMIT_REACHED', message: 'you have redeemed this coupon as often as it allows' };
  return null;
}

/** Step 1: the redemption counted in the campaign's limits and budget, PENDING; COUPON_UNAVAILABLE when it may not be. */
export function claimRedemption(prisma: PrismaClient, code: CouponCode, playerId: string): Promise<CouponRedemption> {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM promotion.coupon_campaign WHERE id = ${code.campaignId}::uuid FOR UPDATE`;
    // One connection: its statements one after the other.
    const campaign = await tx.couponCampaign.findUniqueOrThrow({ where: { id: code.campaignId } });
    const current = await tx.couponCode.findUniqueOrThrow({ where: { id: code.id } });
    const playerRedemptions = await tx.couponRedemption.count({ where: { campaignId: code.campaignId, playerId } });
    const refusal = refusalOf(campaign, current, playerRedemptions, new Date());
    if (refusal) throw unavailable(refusal.reason, refusal.message);
    await tx.couponCampaign.update({ where: { id: campaign.id }, data: { redeemed: { increment: 1 }, spent: { increment: campaign.amount } } });
    await tx.couponCode.update({ where: { id: current.id }, data: { redeemed: { increment: 1 } } });
    return tx.couponRedemption.create({
      data: {
        brandId: campaign.brandId,
        campaignId: campaign.id,
        codeId: current.id,
        playerId,
        code: current.code,
        currency: campaign.currency,
        amount: campaign.amount,
        rollingMultiplierBps: campaign.rollingMultiplierBps,
        nextPayAt: new Date(Date.now() + CLAIM_GRACE_MS),
      },
    });
  }, CAMPAIGN_LOCK_TX);
}

/** Steps 2 and 3 of a PENDING redemption (again, with the same keys, if they ran before); the redemption PAID. */
export async function payRedemption(prisma: PrismaClient, payer: BonusPayer, brand: BrandRef, redemption: CouponRedemption, context: CallContext = {}): Promise<CouponRedemption> {
  if (redemption.status === 'PAID') return redemption;
  await payBonus(
    payer,
    brand,
    { ...redemption, key: `coupon:${redemption.id}`, reference: `coupon ${redemption.code}` },
    (rollingId) => prisma.couponRedemption.update({ where: { id: redemption.id }, data: { rollingId } }),
    context,
  );
  // Two payers of one redemption (a request and the worker) credit once: the first marks it.
  await prisma.couponRedemption.updateMany({ where: { id: redemption.id, status: 'PENDING' }, data: { status: 'PAID', paidAt: new Date(), lastPayError: null } });
  return prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemption.id } });
}

const REDEMPTIONS: PayoutTable = { table: 'coupon_redemption', statusType: 'CouponRedemptionStatus' };

/** Coupon redemptions as the worker pays them (payDue). */
export const couponRedemptionQueue = (prisma: PrismaClient, payer: BonusPayer): PayoutQueue<CouponRedemption> => ({
  noun: 'coupon redemption',
  async due(take) {
    const ids = await claimDue(prisma, REDEMPTIONS, take);
    return prisma.couponRedemption.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
  },
  pay: (redemption, brand) => payRedemption(prisma, payer, brand, redemption),
  recordFailure: (redemption, error) => recordFailedAttempt(prisma, payer, REDEMPTIONS, redemption.id, error),
  async failed() {
    const one = await prisma.couponRedemption.findFirst({ where: { status: 'FAILED' }, select: { lastPayError: true } });
    return one && { count: await prisma.couponRedemption.count({ where: { status: 'FAILED' } }), lastError: one.lastPayError ?? 'unknown' };
  },
});

/**
 * A player redeems a code of the brand: a PENDING redemption of theirs of this code is finished
 * (a retry after SERVICE_UNAVAILABLE), otherwise a new one is claimed and paid. NOT_FOUND: no such
 * code (or one only another player may redeem); COUPON_UNAVAILABLE: the campaign refuses;
 * SERVICE_UNAVAILABLE: claimed, paid later.
 */
export async function redeemCoupon(
  prisma: PrismaClient,
  payer: BonusPayer,
  brand: BrandRef,
  playerId: string,
  input: string,
  context: CallContext = {},
): Promise<CouponRedemption> {
  const code = normalizeCode(input);
  // No code is longer than a named one: a longer input is looked up no further.
  const row = code.length > 0 && code.length <= MAX_CODE_LENGTH ? await prisma.couponCode.findUnique({ where: { brandId_code: { brandId: brand.id, code } } }) : null;
  // Another player's code is refused as one that does not exist: its existence is not theirs to learn.
  if (!row || (row.playerId !== null && row.playerId !== playerId)) throw notFound(`no coupon ${code}`);
  const pending = await prisma.couponRedemption.findFirst({ where: { codeId: row.id, playerId, status: 'PENDING' }, orderBy: { createdAt: 'asc' } });
  const redemption = pending ?? (await claimRedemption(prisma, row, playerId));
  try {
    return await payRedemption(prisma, payer, brand, redemption, context);
  } catch (error) {
    const attempt = await couponRedemptionQueue(prisma, payer).recordFailure(redemption, error);
    // Paid meanwhile (by the worker): the player has their bonus.
    if (!attempt) return prisma.couponRedemption.findUniqueOrThrow({ where: { id: redemption.id } });
    if (attempt.status === 'FAILED') {
      payer.log.error({ err: error, payout: { kind: 'coupon redemption', id: redemption.id }, attempts: attempt.payAttempts, failed: true }, 'coupon redemption FAILED');
      throw new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, 'the coupon is redeemed but its credit was refused: staff have been told', { redemptionId: redemption.id });
    }
    payer.log.error({ err: error, payout: { kind: 'coupon redemption', id: redemption.id }, attempts: attempt.payAttempts, failed: false }, 'coupon redemption not paid yet; it will be retried');
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'the coupon is redeemed but its credit is delayed: it will be paid shortly', { redemptionId: redemption.id });
  }
}

/** The brand's coupon redemption of this id, locked; NOT_FOUND otherwise. */
async function lockRedemption(tx: Prisma.TransactionClient, brandId: string, id: string): Promise<CouponRedemption> {
  if (!isUuid(id)) throw notFound(`no coupon redemption ${id}`);
  const [locked] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM promotion.coupon_redemption WHERE id = ${id}::uuid AND brand_id = ${brandId}::uuid FOR UPDATE`;
  if (!locked) throw notFound(`no coupon redemption ${id}`);
  return tx.couponRedemption.findUniqueOrThrow({ where: { id } });
}

/** Staff put a FAILED redemption back to PENDING with fresh attempts, for the worker to pay (after fixing the cause); CONFLICT when it is not FAILED. */
export function retryFailedRedemption(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<CouponRedemption> {
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const redemption = await lockRedemption(tx, brand.id, id);
    if (redemption.status !== 'FAILED') throw conflict(`coupon redemption ${id} is ${redemption.status}, not FAILED`);
    const retried = await tx.couponRedemption.update({ where: { id }, data: { status: 'PENDING', payAttempts: 0, nextPayAt: new Date() } });
    return {
      result: retried,
      action: {
        action: 'coupon_redemption.retry',
        target_type: 'coupon_redemption',
        target_id: id,
        before: { status: 'FAILED', last_error: redemption.lastPayError },
        after: { status: 'PENDING' },
      },
    };
  });
}

/** Staff give up a FAILED redemption (see cancelRequirementOfFailed): CANCELED with the reason, its requirement canceled; it stays counted in the campaign's limits and budget. */
export function cancelFailedRedemption(
  prisma: PrismaClient,
  payer: BonusPayer,
  brand: BrandRef,
  id: string,
  reason: string,
  actor: StaffActor,
  context: CallContext = {},
): Promise<CouponRedemption> {
  const why = cancelReasonOf(reason);
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const redemption = await lockRedemption(tx, brand.id, id);
    await cancelRequirementOfFailed(payer, brand, 'coupon redemption', redemption, why, context);
    const canceled = await tx.couponRedemption.update({ where: { id }, data: { status: 'CANCELED', cancelReason: why } });
    return {
      result: canceled,
      action: {
        action: 'coupon_redemption.cancel',
        target_type: 'coupon_redemption',
        target_id: id,
        before: { status: 'FAILED', last_error: redemption.lastPayError },
        after: { status: 'CANCELED', reason: why },
      },
    };
  });
}
