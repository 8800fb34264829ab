import { promotionAccess } from '../authorization';
import { addNamedCode, createCampaign, disableCampaign, generateCodes } from '../campaigns';
import type { MutationResolvers } from '../generated/resolvers-types';
import { createProgram, setProgramStatus, updateProgram } from '../programs';
import { cancelFailedRedemption, redeemCoupon, retryFailedRedemption } from '../redemptions';
import { couponRedemptionPayout, reversePayout, settlementItemPayout } from '../reversals';
import { cancelFailedItem, retryFailedItem, settleOnDemand } from '../settlements';

export const Mutation: MutationResolvers = {
  redeemCoupon: (_parent, { code }, context) =>
    redeemCoupon(context.prisma, context.services.payer, context.brand, promotionAccess.redeemCoupon(context.caller), code, {
      requestId: context.requestId,
      traceparent: context.traceparent,
    }),
  createCouponCampaign: (_parent, { input }, context) => createCampaign(context.prisma, context.brand, input, promotionAccess.managePromotions(context)),
  addCouponCode: (_parent, { campaignId, code }, context) =>
    addNamedCode(context.prisma, context.brand, campaignId, code, promotionAccess.managePromotions(context)),
  generateCouponCodes: (_parent, { campaignId, count }, context) =>
    generateCodes(context.prisma, context.brand, campaignId, count, promotionAccess.managePromotions(context)),
  disableCouponCampaign: (_parent, { id, reason }, context) =>
    disableCampaign(context.prisma, context.brand, id, reason, promotionAccess.managePromotions(context)),

  createPromotionProgram: (_parent, { input }, context) => {
    const actor = promotionAccess.managePromotions(context);
    return createProgram(context.prisma, context.brand, context.services.todayOf(context.brand.id), input, actor);
  },
  updatePromotionProgram: (_parent, { id, input }, context) => updateProgram(context.prisma, context.brand, id, input, promotionAccess.managePromotions(context)),
  disablePromotionProgram: (_parent, { id, reason }, context) =>
    setProgramStatus(context.prisma, context.brand, context.services.todayOf(context.brand.id), id, 'DISABLED', reason, promotionAccess.managePromotions(context)),
  enablePromotionProgram: (_parent, { id, reason }, context) =>
    setProgramStatus(context.prisma, context.brand, context.services.todayOf(context.brand.id), id, 'ACTIVE', reason, promotionAccess.managePromotions(context)),
  settlePromotionPeriod: (_parent, { programId, periodStart }, context) => {
    const actor = promotionAccess.managePromotions(context);
    return settleOnDemand(context.prisma, context.brand, context.services.todayOf(context.brand.id), programId, periodStart, actor);
  },
  retrySettlementItem: (_parent, { id }, context) => retryFailedItem(context.prisma, context.brand, id, promotionAccess.managePromotions(context)),
  cancelSettlementItem: (_parent, { id, reason }, context) =>
    cancelFailedItem(context.prisma, context.services.payer, context.brand, id, reason, promotionAccess.managePromotions(context), context),
  reverseSettlementItem: async (_parent, request, context) => {
    const actor = promotionAccess.managePromotions(context);
    const id = await reversePayout(context.prisma, context.services.payer, context.log, context.brand, settlementItemPayout, request, actor, context);
    return context.prisma.settlementItem.findUniqueOrThrow({ where: { id } });
  },
  retryCouponRedemption: (_parent, { id }, context) => retryFailedRedemption(context.prisma, context.brand, id, promotionAccess.managePromotions(context)),
  cancelCouponRedemption: (_parent, { id, reason }, context) =>
    cancelFailedRedemption(context.prisma, context.services.payer, context.brand, id, reason, promotionAccess.managePromotions(context), context),
  reverseCouponRedemption: async (_parent, request, context) => {
    const actor = promotionAccess.managePromotions(context);
    const id = await reversePayout(context.prisma, context.services.payer, context.log, context.brand, couponRedemptionPayout, request, actor, context);
    return context.prisma.couponRedemption.findUniqueOrThrow({ where: { id } });
  },
};
