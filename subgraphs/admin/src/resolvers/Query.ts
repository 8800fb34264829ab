import { notFound } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import { brandsOfStaff } from '../brands';
import type { QueryResolvers } from '../generated/resolvers-types';

export const Query: QueryResolvers = {
  currentBrand: async (_parent, _args, { brand, loaders }) =>
    (await loaders.brandById.load(brand.id)) ?? Promise.reject(notFound('brand not found')),
  brands: (_parent, _args, { caller, prisma }) => brandsOfStaff(prisma, requireCaller(caller, 'staff').id),
};
