import { badUserInput } from '@rgb/contracts';
import { isUuid, NEWEST_FIRST, paginate } from '@rgb/kit';
import { rollingAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';

export const Query: QueryResolvers = {
  rollings: (_parent, { playerId, status, first, after }, { caller, prisma, brand }) => {
    rollingAccess.listRollings(caller);
    if (playerId && !isUuid(playerId)) throw badUserInput('playerId must be a UUID');
    const where = { brandId: brand.id, ...(playerId ? { playerId } : {}), ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.rolling.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.rolling.count({ where }),
    );
  },
};
