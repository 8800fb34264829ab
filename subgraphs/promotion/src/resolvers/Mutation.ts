import { promotionAccess } from '../authorization';
import { addNamedCode, createCampaign, disableCampaign, generateCodes } from '../campaigns';
import type { MutationResolvers } from '../generated/resolvers-types';
import { redeemCoupon } from '../redemptions';

export const Mutation: MutationResolvers = {
  redeemCoupon: (_parent, { code }, context) =>
    redeemCoupon(context.prisma, context.services.payer, context.brand, promotionAccess.redeemCoupon(context.caller), code, {
      requestId: context.requestId,
      traceparent: context.traceparent,
    }),
  createCouponCampaign: (_parent, { input }, context) => createCampaign(context.prisma, context.log, context.brand, input, promotionAccess.manageCampaigns(context)),
  addCouponCode: (_parent, { campaignId, code }, context) =>
    addNamedCode(context.prisma, context.log, context.brand, campaignId, code, promotionAccess.manageCampaigns(context)),
  generateCouponCodes: (_parent, { campaignId, count }, context) =>
    generateCodes(context.prisma, context.log, context.brand, campaignId, count, promotionAccess.manageCampaigns(context)),
  disableCouponCampaign: (_parent, { id, reason }, context) =>
    disableCampaign(context.prisma, context.log, context.brand, id, reason, promotionAccess.manageCampaigns(context)),
};
