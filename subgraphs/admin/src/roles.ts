import { badUserInput, conflict, isPermission, notFound, PERMISSIONS, type Permission } from '@rgb/contracts';
import { uniqueViolation, type Prisma } from '@rgb/db';
import { ANY_STAFF, type StaffCaller, isUuid } from '@rgb/kit';
import { inCatalogueOrder } from './access';
import { recordAudit } from './audit';
import { actingStaff, assertMayGrant, authorize } from './authorization';
import type { Context } from './context';
import type { CreateRoleInput, UpdateRoleInput } from './generated/resolvers-types';
import { actorOf, ROLE_INCLUDE, type RoleRecord } from './staff-accounts';

export const permissionCatalogue = (context: Context) => {
  authorize(context.caller, 'roles.read');
  return Object.entries(PERMISSIONS).map(([name, { domain, description }]) => ({ name, domain, description }));
};

export function listRoles(context: Context): Promise<RoleRecord[]> {
  authorize(context.caller, 'roles.read');
  return context.prisma.role.findMany({ include: ROLE_INCLUDE, orderBy: { name: 'asc' } });
}

export const rolePermissions = (role: RoleRecord): Permission[] => inCatalogueOrder(role.permissions.map(({ permission }) => permission));

const snapshot = (role: RoleRecord) => ({ name: role.name, description: role.description, permissions: rolePermissions(role) });

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 64) throw badUserInput('name must be 1 to 64 characters');
  return trimmed;
}

function checkPermissions(names: readonly string[]): Permission[] {
  const unknown = names.filter((name) => !isPermission(name));
  if (unknown.length > 0) throw badUserInput(`unknown permissions: ${unknown.join(', ')}`);
  return inCatalogueOrder(names);
}

/**
 * Runs a change of roles in one transaction with its audit row (a taken name is CONFLICT). The
 * actor must hold every permission the role grants before and after: a role is a grant.
 */
async function roleChange(
  context: Context,
  caller: StaffCaller,
  action: string,
  change: (tx: Prisma.TransactionClient, assertMayGrant: (permissions: readonly Permission[]) => void) => Promise<{ id: string; before: RoleRecord | null; after: RoleRecord | null }>,
): Promise<RoleRecord | null> {
  try {
    return await context.prisma.$transaction(async (tx) => {
      const actor = await actingStaff(tx, caller, { forChange: true });
      const { id, before, after } = await change(tx, (permissions) => assertMayGrant(actor, { permissions }));
      await recordAudit(tx, actorOf(context, caller), {
        action,
        targetType: 'role',
        targetId: id,
        before: before && snapshot(before),
        after: after && snapshot(after),
      });
      return after;
    });
  } catch (error) {
    if (uniqueViolation(error)) throw conflict('a role with this name exists');
    throw error;
  }
}

/** The role, its row locked until the change commits, so "before" is what this change replaced. */
async function existingRole(tx: Prisma.TransactionClient, id: string): Promise<RoleRecord> {
  if (!isUuid(id)) throw notFound(`no role ${id}`);
  await tx.$queryRaw`SELECT 1 FROM admin.role WHERE id = ${id}::uuid FOR UPDATE`;
  const role = await tx.role.findUnique({ where: { id }, include: ROLE_INCLUDE });
  if (!role) throw notFound(`no role ${id}`);
  return role;
}

export async function createRole(context: Context, input: CreateRoleInput): Promise<RoleRecord> {
  const caller = authorize(context.caller, 'roles.manage');
  const name = checkName(input.name);
  const permissions = checkPermissions(input.permissions);
  const created = await roleChange(context, caller, 'role.create', async (tx, mayGrant) => {
    mayGrant(permissions);
    const role = await tx.role.create({
      data: { name, description: input.description ?? '', permissions: { create: permissions.map((permission) => ({ permission })) } },
      include: ROLE_INCLUDE,
    });
    return { id: role.id, before: null, after: role };
  });
  return created!;
}

export async function updateRole(context: Context, id: string, input: UpdateRoleInput): Promise<RoleRecord> {
  const caller = authorize(context.caller, 'roles.manage');
  const name = input.name != null ? checkName(input.name) : undefined;
  const permissions = input.permissions ? checkPermissions(input.permissions) : undefined;
  const updated = await roleChange(context, caller, 'role.update', async (tx, mayGrant) => {
    const before = await existingRole(tx, id);
    mayGrant([...rolePermissions(before), ...(permissions ?? [])]);
    const after = await tx.role.update({
      where: { id },
      data: {
        ...(name !== undefined ? { name } : {}),
        ...(input.description != null ? { description: input.description } : {}),
        ...(permissions ? { permissions: { deleteMany: {}, create: permissions.map((permission) => ({ permission })) } } : {}),
      },
      include: ROLE_INCLUDE,
    });
    return { id, before, after };
  });
  // Every holder of the role may have gained or lost a permission.
  if (permissions) await context.services.accessChanged(ANY_STAFF);
  return updated!;
}

export async function deleteRole(context: Context, id: string): Promise<boolean> {
  await roleChange(context, authorize(context.caller, 'roles.manage'), 'role.delete', async (tx, mayGrant) => {
    const before = await existingRole(tx, id);
    mayGrant(rolePermissions(before));
    const holders = await tx.staffRole.count({ where: { roleId: id } });
    if (holders > 0) throw conflict(`${holders} staff member(s) hold this role: assign them other roles first`);
    await tx.role.delete({ where: { id } });
    return { id, before, after: null };
  });
  return true;
}
