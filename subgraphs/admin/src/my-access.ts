import { unauthenticated, type Permission } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import { ACCESS_INCLUDE, permissionsOf } from './access';
import { brandsOfStaff, type BrandRecord } from './brands';
import type { Context } from './context';
import { menuFor, type MenuItem } from './menus';

export interface MyAccess {
  staffId: string;
  username: string;
  permissions: Permission[];
  allBrands: boolean;
  brands: BrandRecord[];
  menu: MenuItem[];
}

/** What the calling staff member may do now (read afresh, as the router reads it), and the menu that follows. */
export async function myStaffAccess({ caller, prisma }: Context): Promise<MyAccess> {
  const { id } = requireCaller(caller, 'staff');
  const [staff, brands] = await Promise.all([prisma.staff.findUnique({ where: { id }, include: ACCESS_INCLUDE }), brandsOfStaff(prisma, id)]);
  if (staff?.status !== 'ACTIVE') throw unauthenticated('this staff account is disabled');
  const permissions = permissionsOf(staff.roles);
  return { staffId: id, username: staff.username, permissions, allBrands: staff.allBrands, brands, menu: menuFor(permissions) };
}
