import { z } from 'zod';
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

/** `/internal/brands` and `/internal/staff/...`: what the admin domain tells the other services. */
export const adminRoutes = {
  brands: defineRoute({
    method: 'GET',
    path: '/internal/brands',
    request: z.object({}),
    response: z.object({ brands: z.array(catalogBrand) }),
  }),
  /** Whether a staff member may change what every brand shares; an id that names no staff member has no access. */
  platformAccess: defineRoute({
    method: 'GET',
    path: '/internal/staff/:staff_id/platform-access',
    request: z.object({ staff_id: z.string().min(1) }),
    response: z.object({ platform_access: z.boolean() }),
  }),
};
