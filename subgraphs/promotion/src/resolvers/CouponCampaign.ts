import { formatMoney } from '@rgb/contracts';
import { NEWEST_FIRST, paginate } from '@rgb/kit';
import { promotionAccess } from '../authorization';
import type { CouponCampaignResolvers } from '../generated/resolvers-types';

export const CouponCampaign: CouponCampaignResolvers = {
  amount: (campaign) => formatMoney(campaign.amount, campaign.currency),
  validFrom: (campaign) => campaign.validFrom.toISOString(),
  validUntil: (campaign) => campaign.validUntil?.toISOString() ?? null,
  budget: (campaign) => (campaign.budget === null ? null : formatMoney(campaign.budget, campaign.currency)),
  redeemedCount: (campaign) => campaign.redeemed,
  spent: (campaign) => formatMoney(campaign.spent, campaign.currency),
  createdAt: (campaign) => campaign.createdAt.toISOString(),
  endedAt: (campaign) => campaign.endedAt?.toISOString() ?? null,
  // A mutation answers the campaign to promotions.manage: its lists still need promotions.read.
  codes: (campaign, { first, after }, { caller, prisma }) => {
    promotionAccess.readPromotions(caller);
    const where = { campaignId: campaign.id };
    return paginate(
      { first, after },
      (position, take) => prisma.couponCode.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.couponCode.count({ where }),
    );
  },
  redemptions: (campaign, { first, after }, { caller, prisma }) => {
    promotionAccess.readPromotions(caller);
    const where = { campaignId: campaign.id };
    return paginate(
      { first, after },
      (position, take) => prisma.couponRedemption.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.couponRedemption.count({ where }),
    );
  },
};
