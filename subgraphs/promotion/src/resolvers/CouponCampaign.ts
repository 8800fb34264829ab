import { formatMoney } from '@rgb/contracts';
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
  codes: (campaign, { first, after }, { caller, loaders }) => {
    promotionAccess.readPromotions(caller);
    return loaders.codesByCampaignId(campaign.id, { first, after });
  },
  redemptions: (campaign, { first, after }, { caller, loaders }) => {
    promotionAccess.readPromotions(caller);
    return loaders.redemptionsByCampaignId(campaign.id, { first, after });
  },
};
