import { permissionsOf } from '../access';
import type { StaffMemberResolvers } from '../generated/resolvers-types';

export const StaffMember: StaffMemberResolvers = {
  brands: (staff, _args, { prisma }) =>
    prisma.brand.findMany({
      where: staff.allBrands ? {} : { id: { in: staff.brands.map(({ brandId }) => brandId) } },
      include: { domains: true },
      orderBy: { code: 'asc' },
    }),
  roles: (staff) => staff.roles.map(({ role }) => role),
  permissions: (staff) => permissionsOf(staff.roles),
  createdAt: (staff) => staff.createdAt.toISOString(),
};
