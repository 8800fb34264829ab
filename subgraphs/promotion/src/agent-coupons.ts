import { type AgentCouponIssue, conflict, notFound } from '@rgb/contracts';
import { type CouponCampaign, type CouponCode, type PrismaClient, uniqueViolation } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import { generateCode } from './codes';
import { CAMPAIGN_LOCK_TX } from './redemptions';

/**
 * The coupons agents grant their players, for the agent domain (which charges the agent before
 * issuing one and refunds it after recycling one). A grant is a campaign of its own: one generated
 * single-use code only its player may redeem, its amount once (total limit 1, budget the amount).
 * Recycling takes the campaign's row lock, the one a redemption's claim takes: of a redeem and a
 * recycle racing, exactly one wins.
 */

type Grant = CouponCampaign & { codes: CouponCode[] };

/** The grant's coupon as issued: its one code. */
const codeOf = (grant: Grant): CouponCode => {
  const [code] = grant.codes;
  if (!code || grant.codes.length > 1) throw new Error(`agent grant ${grant.agentGrantId} has ${grant.codes.length} codes, not one`);
  return code;
};

/** Whether the grant's coupon was issued with these terms: the same grant asked again. */
function sameTerms(grant: Grant, issue: AgentCouponIssue): boolean {
  return (
    grant.brandId === issue.brand.id &&
    grant.currency === issue.brand.currency &&
    grant.agentId === issue.agentId &&
    codeOf(grant).playerId === issue.playerId &&
    grant.amount === issue.amount &&
    grant.rollingMultiplierBps === issue.rollingMultiplierBps &&
    (grant.validUntil?.getTime() ?? null) === (issue.validUntil?.getTime() ?? null)
  );
}

/** The coupon issued before for this grant (duplicate), or CONFLICT when it was issued with other terms. */
function answerIssued(grant: Grant, issue: AgentCouponIssue): { code: string; duplicate: true } {
  if (!sameTerms(grant, issue)) throw conflict(`agent grant ${issue.grantId} was issued with other terms`);
  return { code: codeOf(grant).code, duplicate: true };
}

const findGrant = (prisma: PrismaClient, grantId: string): Promise<Grant | null> =>
  prisma.couponCampaign.findUnique({ where: { agentGrantId: grantId }, include: { codes: true } });

/** Issues the grant's coupon (campaign and code in one transaction), or answers the one issued before. */
export async function issueAgentCoupon(prisma: PrismaClient, issue: AgentCouponIssue): Promise<{ code: string; duplicate: boolean }> {
  const issued = await findGrant(prisma, issue.grantId);
  if (issued) return answerIssued(issued, issue);
  const now = new Date();
  // A validity already over is taken as it is (the coupon lapses unredeemed and can be recycled):
  // the agent has been charged, and a retried issue arriving late must still complete the grant.
  try {
    return await prisma.$transaction(async (tx) => {
      const campaign = await tx.couponCampaign.create({
        data: {
          brandId: issue.brand.id,
          name: `Agent grant ${issue.grantId}`,
          currency: issue.brand.currency,
          amount: issue.amount,
          rollingMultiplierBps: issue.rollingMultiplierBps,
          validFrom: now,
          validUntil: issue.validUntil,
          totalLimit: 1,
          perPlayerLimit: 1,
          budget: issue.amount,
          agentGrantId: issue.grantId,
          agentId: issue.agentId,
        },
      });
      // A code the brand has already is drawn again.
      let created: CouponCode | undefined;
      while (!created) {
        [created] = await tx.couponCode.createManyAndReturn({
          data: [{ brandId: issue.brand.id, campaignId: campaign.id, code: generateCode(), singleUse: true, playerId: issue.playerId }],
          skipDuplicates: true,
        });
      }
      return { code: created.code, duplicate: false };
    });
  } catch (error) {
    // The same grant issued concurrently: the one that committed answers both.
    if (!uniqueViolation(error)) throw error;
    const raced = await findGrant(prisma, issue.grantId);
    if (!raced) throw error;
    return answerIssued(raced, issue);
  }
}

/**
 * Withdraws the grant's coupon if no redemption claimed it, or only ones staff canceled (never
 * paid), expired or disabled ones too: the agent is refunded what was never paid out. RECYCLED,
 * never redeemable again. CONFLICT once a redemption that may pay holds it; recycled already: duplicate.
 */
export function recycleAgentCoupon(prisma: PrismaClient, brand: BrandRef, grantId: string): Promise<{ duplicate: boolean }> {
  return prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM promotion.coupon_campaign WHERE agent_grant_id = ${grantId}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
    if (!locked) throw notFound(`no agent coupon of grant ${grantId}`);
    const campaign = await tx.couponCampaign.findUniqueOrThrow({ where: { id: locked.id } });
    if (campaign.status === 'RECYCLED') return { duplicate: true };
    const claimed = await tx.couponRedemption.count({ where: { campaignId: campaign.id, status: { not: 'CANCELED' } } });
    if (claimed > 0) throw conflict(`the coupon of agent grant ${grantId} has been redeemed`);
    await tx.couponCampaign.update({ where: { id: campaign.id }, data: { status: 'RECYCLED', endedAt: new Date() } });
    return { duplicate: false };
  }, CAMPAIGN_LOCK_TX);
}
