import { z } from 'zod';
import { PERMISSION_NAMES, type Permission } from '../permissions';
import { defineRoute } from './route';

const catalogBrand = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  /** ISO 4217 code of every wallet of the brand. */
  currency: z.string(),
  status: z.enum(['ACTIVE', 'SUSPENDED']),
  /** Host names that resolve to the brand. */
  domains: z.array(z.string()),
});
/** A brand as the router and the services cache it. */
export type CatalogBrand = z.output<typeof catalogBrand>;

const staffAccess = z.object({
  status: z.enum(['ACTIVE', 'DISABLED']),
  /** Every brand, present and future. */
  all_brands: z.boolean(),
  /** The brands in scope when not `all_brands`. */
  brand_ids: z.array(z.uuid()),
  permissions: z.array(z.enum(PERMISSION_NAMES as [Permission, ...Permission[]])),
});
/** A staff member's status, brand scope and permissions, as the admin domain holds them now. */
export type StaffAccess = z.output<typeof staffAccess>;

/** `/internal/brands` and `/internal/staff/...`: what the admin domain tells the other services. */
export const adminRoutes = {
  brands: defineRoute({
    method: 'GET',
    path: '/internal/brands',
    request: z.object({}),
    response: z.object({ brands: z.array(catalogBrand) }),
  }),
  /**
   * What a staff member may do now: asked by the router for every staff request (cached until
   * the admin domain announces a change) and by the game's integration routes. An id that names
   * no staff member answers `access: null`.
   */
  staffAccess: defineRoute({
    method: 'GET',
    path: '/internal/staff/:staff_id/access',
    request: z.object({ staff_id: z.string().min(1) }),
    response: z.object({ access: staffAccess.nullable() }),
  }),
};
