import { NEWEST_FIRST, paginate } from '@rgb/kit';
import { walletAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';

export const Query: QueryResolvers = {
  depositRequests: (_parent, { status, first, after }, { caller, prisma, brand }) => {
    walletAccess.readDeposits(caller);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.depositRequest.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.depositRequest.count({ where }),
    );
  },
  withdrawalRequests: (_parent, { status, first, after }, { caller, prisma, brand }) => {
    walletAccess.readWithdrawals(caller);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.withdrawalRequest.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.withdrawalRequest.count({ where }),
    );
  },
};
