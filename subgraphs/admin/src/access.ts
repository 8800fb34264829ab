import { PERMISSION_NAMES, type Permission, type StaffAccess } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import { isUuid } from '@rgb/kit';

type Db = PrismaClient | Prisma.TransactionClient;

/** What `permissionsOf` and `staffAccess` read of a staff member. */
export const ACCESS_INCLUDE = {
  brands: { select: { brandId: true } },
  roles: { select: { role: { select: { permissions: { select: { permission: true } } } } } },
} as const satisfies Prisma.StaffInclude;

type RoleGrants = { role: { permissions: { permission: string }[] } }[];

/** The catalogue's permissions among `names`, once each, in catalogue order (a name it no longer has grants nothing). */
export function inCatalogueOrder(names: Iterable<string>): Permission[] {
  const wanted = new Set(names);
  return PERMISSION_NAMES.filter((name) => wanted.has(name));
}

/** The union of the roles' permissions. */
export const permissionsOf = (roles: RoleGrants): Permission[] =>
  inCatalogueOrder(roles.flatMap(({ role }) => role.permissions.map(({ permission }) => permission)));

/** A staff member's status, brand scope and permissions now; null for an id that names nobody. */
export async function staffAccess(db: Db, staffId: string): Promise<StaffAccess | null> {
  if (!isUuid(staffId)) return null;
  const staff = await db.staff.findUnique({ where: { id: staffId }, include: ACCESS_INCLUDE });
  if (!staff) return null;
  return {
    status: staff.status,
    all_brands: staff.allBrands,
    brand_ids: staff.brands.map(({ brandId }) => brandId),
    permissions: permissionsOf(staff.roles),
  };
}
