import { forbidden, unauthenticated, type Permission, type StaffAccess } from '@rgb/contracts';
import type { Prisma } from '@rgb/db';
import { requirePermission, type Caller, type StaffCaller } from '@rgb/kit';
import { staffAccess } from './access';

/**
 * Who may do what in the admin domain, decided here only. The permission comes with the
 * request (the router read it from this domain when it admitted the request); what a staff
 * member may grant or manage is read in the transaction of the change, the acting staff member's
 * row share-locked (and the target's locked by the change), so a change of either waits for it.
 */
export const authorize = (caller: Caller | null, permission: Permission): StaffCaller => requirePermission(caller, permission);

/** A brand scope: every brand, or the listed ones. */
export interface BrandScope {
  allBrands: boolean;
  brandIds: readonly string[];
}

const covers = (outer: StaffAccess, inner: BrandScope) =>
  outer.all_brands || (!inner.allBrands && inner.brandIds.every((id) => outer.brand_ids.includes(id)));

/** The acting staff member as the database holds them now; in a change, their row share-locked until it commits. */
export async function actingStaff(db: Prisma.TransactionClient, caller: StaffCaller, { forChange = false } = {}): Promise<StaffAccess> {
  if (forChange) await db.$queryRaw`SELECT 1 FROM admin.staff WHERE id = ${caller.id}::uuid FOR SHARE`;
  const actor = await staffAccess(db, caller.id);
  if (actor?.status !== 'ACTIVE') throw unauthenticated('this staff account is disabled');
  return actor;
}

/**
 * The staff member reading, as the database holds them now, read once per request (a list of
 * brands or agents asks for each), needing `permission`; a disabled one is refused.
 */
export async function readingStaff(
  context: { caller: Caller | null; loaders: { staffAccessById: { load(id: string): Promise<StaffAccess | null> } } },
  permission: Permission,
): Promise<StaffAccess> {
  const actor = await context.loaders.staffAccessById.load(authorize(context.caller, permission).id);
  if (actor?.status !== 'ACTIVE') throw unauthenticated('this staff account is disabled');
  return actor;
}

/** A staff member grants only permissions they hold and brands in their own scope. */
export function assertMayGrant(actor: StaffAccess, grant: { permissions?: readonly Permission[]; scope?: BrandScope }): void {
  const lacking = (grant.permissions ?? []).filter((permission) => !actor.permissions.includes(permission));
  if (lacking.length > 0) throw forbidden(`you cannot grant permissions you do not hold: ${lacking.join(', ')}`);
  if (grant.scope && !covers(actor, grant.scope)) {
    throw forbidden(grant.scope.allBrands ? 'only staff with every brand may grant every brand' : 'you cannot grant brands outside your scope');
  }
}

/** A staff member manages only staff whose permissions and brands are within their own. */
export function assertMayManage(actor: StaffAccess, target: StaffAccess): void {
  if (!covers(actor, { allBrands: target.all_brands, brandIds: target.brand_ids })) {
    throw forbidden('this staff member has brands outside your scope');
  }
  if (target.permissions.some((permission) => !actor.permissions.includes(permission))) {
    throw forbidden('this staff member holds permissions you do not');
  }
}

/** The brands whose staff and audit rows an actor sees: undefined for every brand. */
export const visibleBrands = (actor: StaffAccess): string[] | undefined => (actor.all_brands ? undefined : actor.brand_ids);

/** A staff member changes and reads the config of only the brands in their scope. */
export function assertBrandInScope(actor: StaffAccess, brandId: string): void {
  if (!actor.all_brands && !actor.brand_ids.includes(brandId)) throw forbidden('this brand is outside your scope');
}
