import { notFound } from '@rgb/contracts';
import { auditLogPage } from '../audit';
import { actingStaff, authorize, visibleBrands } from '../authorization';
import { brandsOfStaff } from '../brands';
import { dailyFigures } from '../daily-figures';
import type { QueryResolvers } from '../generated/resolvers-types';
import { myStaffAccess } from '../my-access';
import { listRoles, permissionCatalogue } from '../roles';
import { listStaff, staffMember } from '../staff-accounts';

export const Query: QueryResolvers = {
  currentBrand: async (_parent, _args, { brand, loaders }) =>
    (await loaders.brandById.load(brand.id)) ?? Promise.reject(notFound('brand not found')),
  brands: (_parent, _args, { caller, prisma }) => brandsOfStaff(prisma, authorize(caller, 'brands.read').id),
  staffMembers: (_parent, args, context) => listStaff(context, args),
  staffMember: (_parent, { id }, context) => staffMember(context, id),
  roles: (_parent, _args, context) => listRoles(context),
  permissions: (_parent, _args, context) => permissionCatalogue(context),
  myStaffAccess: (_parent, _args, context) => myStaffAccess(context),
  auditLog: async (_parent, { filter, first, after }, { caller, prisma }) => {
    const actor = await actingStaff(prisma, authorize(caller, 'audit.read'));
    return auditLogPage(prisma, filter, { first, after }, visibleBrands(actor));
  },
  dailyFigures: (_parent, { brandId, from, to }, context) => dailyFigures(context, brandId, from, to),
};
