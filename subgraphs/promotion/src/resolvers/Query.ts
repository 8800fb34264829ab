import { isUuid, NEWEST_FIRST, paginate } from '@rgb/kit';
import { promotionAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';
import { previewPeriod } from '../settlements';

export const Query: QueryResolvers = {
  couponCampaigns: (_parent, { status, first, after }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.couponCampaign.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.couponCampaign.count({ where }),
    );
  },
  couponCampaign: (_parent, { id }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    return isUuid(id) ? prisma.couponCampaign.findFirst({ where: { id, brandId: brand.id } }) : null;
  },
  couponRedemptions: (_parent, { status, campaignId, first, after }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    if (campaignId && !isUuid(campaignId)) return paginate({ first, after }, async () => [], async () => 0);
    const where = { brandId: brand.id, ...(status ? { status } : {}), ...(campaignId ? { campaignId } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.couponRedemption.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.couponRedemption.count({ where }),
    );
  },
  promotionPrograms: (_parent, { kind, status, first, after }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    const where = { brandId: brand.id, ...(kind ? { kind } : {}), ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.promotionProgram.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.promotionProgram.count({ where }),
    );
  },
  promotionProgram: (_parent, { id }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    return isUuid(id) ? prisma.promotionProgram.findFirst({ where: { id, brandId: brand.id } }) : null;
  },
  settlementItems: (_parent, { status, programId, first, after }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    const where = { brandId: brand.id, ...(status ? { status } : {}), ...(programId ? { programId } : {}) };
    if (programId && !isUuid(programId)) return paginate({ first, after }, async () => [], async () => 0);
    return paginate(
      { first, after },
      (position, take) => prisma.settlementItem.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.settlementItem.count({ where }),
    );
  },
  settlementRun: (_parent, { id }, { caller, prisma, brand }) => {
    promotionAccess.readPromotions(caller);
    return isUuid(id) ? prisma.settlementRun.findFirst({ where: { id, brandId: brand.id } }) : null;
  },
  settlementPreview: (_parent, { programId, periodStart }, { caller, prisma, brand, services }) => {
    promotionAccess.readPromotions(caller);
    return previewPeriod(prisma, brand, services.todayOf(brand.id), programId, periodStart);
  },
};
