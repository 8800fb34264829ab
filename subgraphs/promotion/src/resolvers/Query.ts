import { isUuid, NEWEST_FIRST, paginate } from '@rgb/kit';
import { promotionAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';

export const Query: QueryResolvers = {
  couponCampaigns: (_parent, { status, first, after }, { caller, prisma, brand }) => {
    promotionAccess.readCampaigns(caller);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.couponCampaign.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.couponCampaign.count({ where }),
    );
  },
  couponCampaign: (_parent, { id }, { caller, prisma, brand }) => {
    promotionAccess.readCampaigns(caller);
    return isUuid(id) ? prisma.couponCampaign.findFirst({ where: { id, brandId: brand.id } }) : null;
  },
};
