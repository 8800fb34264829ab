import { afterCursor, connection, pageSize, requireCaller } from '@rgb/kit';
import type { QueryResolvers } from '../generated/resolvers-types';

export const Query: QueryResolvers = {
  depositRequests: async (_parent, { status, first, after }, { caller, prisma, brand }) => {
    requireCaller(caller, 'staff');
    const take = pageSize(first);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    const [rows, total] = await Promise.all([
      prisma.depositRequest.findMany({ where: { ...where, ...afterCursor(after) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: take + 1 }),
      prisma.depositRequest.count({ where }),
    ]);
    return connection(rows, take, total);
  },
  withdrawalRequests: async (_parent, { status, first, after }, { caller, prisma, brand }) => {
    requireCaller(caller, 'staff');
    const take = pageSize(first);
    const where = { brandId: brand.id, ...(status ? { status } : {}) };
    const [rows, total] = await Promise.all([
      prisma.withdrawalRequest.findMany({ where: { ...where, ...afterCursor(after) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: take + 1 }),
      prisma.withdrawalRequest.count({ where }),
    ]);
    return connection(rows, take, total);
  },
};
