import { hashPassword } from '@rgb/auth';
import { badUserInput, conflict, notFound, type Permission, type StaffAccess } from '@rgb/contracts';
import { uniqueViolation, type Prisma, type Role, type Staff } from '@rgb/db';
import { NEWEST_FIRST, paginate, type Connection, type StaffCaller, isUuid } from '@rgb/kit';
import { permissionsOf } from './access';
import type { Actor } from './audit';
import { recordAudit } from './audit';
import { actingStaff, assertMayGrant, assertMayManage, authorize, visibleBrands, type BrandScope } from './authorization';
import type { Context } from './context';
import type { CreateStaffInput, StaffStatus, UpdateStaffInput } from './generated/resolvers-types';

export type RoleRecord = Role & { permissions: { permission: string }[] };
export type StaffRecord = Staff & { brands: { brandId: string }[]; roles: { role: RoleRecord }[] };

export const ROLE_INCLUDE = { permissions: { select: { permission: true } } } as const satisfies Prisma.RoleInclude;
const STAFF_INCLUDE = {
  brands: { select: { brandId: true } },
  roles: { select: { role: { include: ROLE_INCLUDE } } },
} as const satisfies Prisma.StaffInclude;

/** Who acts in this request, for its audit rows. */
export const actorOf = ({ brand, requestId }: Context, caller: StaffCaller): Actor => ({ staffId: caller.id, brandId: brand.id, requestId });

export const accessOf = (staff: StaffRecord): StaffAccess => ({
  status: staff.status,
  all_brands: staff.allBrands,
  brand_ids: staff.brands.map(({ brandId }) => brandId),
  permissions: permissionsOf(staff.roles),
});

/** What the audit log keeps of a staff member (never the password hash). */
const snapshot = (staff: StaffRecord) => ({
  username: staff.username,
  status: staff.status,
  allBrands: staff.allBrands,
  brandIds: staff.brands.map(({ brandId }) => brandId).sort(),
  roleIds: staff.roles.map(({ role }) => role.id).sort(),
});

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

function checkPassword(password: string): void {
  if (password.length < 12 || password.length > 128) throw badUserInput('password must be 12 to 128 characters');
}

function checkIds(ids: readonly string[], what: string): void {
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw badUserInput(`${what} ${JSON.stringify(bad)} is not an id`);
}

/** Staff whose brand scope meets the actor's (every staff member for an actor with every brand). */
function visibleWhere(actor: StaffAccess): Prisma.StaffWhereInput {
  const brandIds = visibleBrands(actor);
  return brandIds ? { OR: [{ allBrands: true }, { brands: { some: { brandId: { in: brandIds } } } }] } : {};
}

export async function listStaff(
  context: Context,
  args: { status?: StaffStatus | null; brandId?: string | null; first?: number | null; after?: string | null },
): Promise<Connection<StaffRecord>> {
  const caller = authorize(context.caller, 'staff.read');
  const actor = await actingStaff(context.prisma, caller);
  if (args.brandId) checkIds([args.brandId], 'brandId');
  const where: Prisma.StaffWhereInput = {
    AND: [
      visibleWhere(actor),
      args.status ? { status: args.status } : {},
      args.brandId ? { OR: [{ allBrands: true }, { brands: { some: { brandId: args.brandId } } }] } : {},
    ],
  };
  return paginate(
    args,
    (position, take) => context.prisma.staff.findMany({ where: { AND: [where, position] }, include: STAFF_INCLUDE, orderBy: NEWEST_FIRST, take }),
    () => context.prisma.staff.count({ where }),
  );
}

export async function staffMember(context: Context, id: string): Promise<StaffRecord | null> {
  const caller = authorize(context.caller, 'staff.read');
  const actor = await actingStaff(context.prisma, caller);
  if (!isUuid(id)) return null;
  return context.prisma.staff.findFirst({ where: { AND: [{ id }, visibleWhere(actor)] }, include: STAFF_INCLUDE });
}

async function rolesByIds(tx: Prisma.TransactionClient, roleIds: readonly string[]): Promise<RoleRecord[]> {
  checkIds(roleIds, 'role');
  const roles = await tx.role.findMany({ where: { id: { in: [...roleIds] } }, include: ROLE_INCLUDE });
  const missing = roleIds.filter((id) => !roles.some((role) => role.id === id));
  if (missing.length > 0) throw notFound(`no role ${missing.join(', ')}`);
  return roles;
}

async function checkBrands(tx: Prisma.TransactionClient, brandIds: readonly string[]): Promise<void> {
  checkIds(brandIds, 'brand');
  const found = await tx.brand.count({ where: { id: { in: [...brandIds] } } });
  if (found !== new Set(brandIds).size) throw notFound('no such brand');
}

const grantedBy = (roles: RoleRecord[]): Permission[] => permissionsOf(roles.map((role) => ({ role })));

/** Runs a change of staff in one transaction and maps a taken username to CONFLICT. */
async function staffChange<T>(context: Context, change: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  try {
    return await context.prisma.$transaction(change);
  } catch (error) {
    if (uniqueViolation(error)) throw conflict('this username is taken');
    throw error;
  }
}

export async function createStaff(context: Context, input: CreateStaffInput): Promise<StaffRecord> {
  const caller = authorize(context.caller, 'staff.manage');
  const username = input.username.trim().toLowerCase();
  if (!USERNAME.test(username)) throw badUserInput('username must be 3 to 64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  checkPassword(input.password);
  const scope: BrandScope = { allBrands: input.allBrands ?? false, brandIds: [...new Set(input.brandIds ?? [])] };
  if (!scope.allBrands && scope.brandIds.length === 0) throw badUserInput('a staff member needs allBrands or at least one brand');
  const passwordHash = await hashPassword(input.password);
  return staffChange(context, async (tx) => {
    const actor = await actingStaff(tx, caller, { forChange: true });
    await checkBrands(tx, scope.brandIds);
    const roles = await rolesByIds(tx, [...new Set(input.roleIds ?? [])]);
    assertMayGrant(actor, { permissions: grantedBy(roles), scope });
    const created = await tx.staff.create({
      data: {
        username,
        passwordHash,
        allBrands: scope.allBrands,
        brands: { create: scope.brandIds.map((brandId) => ({ brandId })) },
        roles: { create: roles.map((role) => ({ roleId: role.id })) },
      },
      include: STAFF_INCLUDE,
    });
    await recordAudit(tx, actorOf(context, caller), { action: 'staff.create', targetType: 'staff', targetId: created.id, before: null, after: snapshot(created) });
    return created;
  });
}

/**
 * Loads the target in the transaction, checks the actor may manage them, applies `change` and
 * writes the audit row; after commit, tells the routers that the target's access changed.
 */
async function changeStaff(
  context: Context,
  caller: StaffCaller,
  id: string,
  action: string,
  change: (tx: Prisma.TransactionClient, target: StaffRecord, actor: StaffAccess) => Promise<StaffRecord>,
  audited: (staff: StaffRecord) => Prisma.InputJsonValue | null = snapshot,
): Promise<StaffRecord> {
  if (!isUuid(id)) throw notFound(`no staff member ${id}`);
  const changed = await staffChange(context, async (tx) => {
    const actor = await actingStaff(tx, caller, { forChange: true });
    await tx.$queryRaw`SELECT 1 FROM admin.staff WHERE id = ${id}::uuid FOR UPDATE`;
    const target = await tx.staff.findUnique({ where: { id }, include: STAFF_INCLUDE });
    if (!target) throw notFound(`no staff member ${id}`);
    assertMayManage(actor, accessOf(target));
    const after = await change(tx, target, actor);
    await recordAudit(tx, actorOf(context, caller), { action, targetType: 'staff', targetId: id, before: audited(target), after: audited(after) });
    return after;
  });
  await context.services.accessChanged(id);
  return changed;
}

export function updateStaff(context: Context, id: string, input: UpdateStaffInput): Promise<StaffRecord> {
  return changeStaff(context, authorize(context.caller, 'staff.manage'), id, 'staff.update', async (tx, target, actor) => {
    const brandIds = input.brandIds ? [...new Set(input.brandIds)] : undefined;
    if (input.allBrands != null || brandIds) {
      const scope = { allBrands: input.allBrands ?? target.allBrands, brandIds: brandIds ?? target.brands.map(({ brandId }) => brandId) };
      if (!scope.allBrands && scope.brandIds.length === 0) throw badUserInput('a staff member needs allBrands or at least one brand');
      await checkBrands(tx, scope.brandIds);
      assertMayGrant(actor, { scope });
    }
    return tx.staff.update({
      where: { id: target.id },
      data: {
        ...(input.status ? { status: input.status } : {}),
        ...(input.allBrands != null ? { allBrands: input.allBrands } : {}),
        ...(brandIds ? { brands: { deleteMany: {}, create: brandIds.map((brandId) => ({ brandId })) } } : {}),
      },
      include: STAFF_INCLUDE,
    });
  });
}

export async function setStaffPassword(context: Context, id: string, password: string): Promise<boolean> {
  const caller = authorize(context.caller, 'staff.manage');
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  // The audit row names the change; neither password nor hash is kept.
  await changeStaff(
    context,
    caller,
    id,
    'staff.set_password',
    (tx, target) => tx.staff.update({ where: { id: target.id }, data: { passwordHash }, include: STAFF_INCLUDE }),
    () => null,
  );
  return true;
}

export function assignStaffRoles(context: Context, id: string, roleIds: readonly string[]): Promise<StaffRecord> {
  return changeStaff(context, authorize(context.caller, 'staff.manage'), id, 'staff.assign_roles', async (tx, target, actor) => {
    const roles = await rolesByIds(tx, [...new Set(roleIds)]);
    assertMayGrant(actor, { permissions: grantedBy(roles) });
    return tx.staff.update({
      where: { id: target.id },
      data: { roles: { deleteMany: {}, create: roles.map((role) => ({ roleId: role.id })) } },
      include: STAFF_INCLUDE,
    });
  });
}
