import { z } from 'zod';
import { PERMISSION_NAMES, type Permission } from '../permissions';
import { defineRoute } from './route';

const catalogBrand = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  /** ISO 4217 code of every wallet of the brand. */
  currency: z.string(),
  /** IANA time zone the brand's days (daily counts, settlements) are cut in. */
  timezone: z.string(),
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

const basisPoints = (max: number) => z.number().int().min(0).max(max);
const minorUnits = z.string().regex(/^\d+$/);

/** A brand's config as other services read it, and as its audit rows keep it. */
export const brandConfigContract = z.object({
  brand_id: z.uuid(),
  /** ISO 4217 code the limits are in. */
  currency: z.string(),
  /** Wagering a deposit requires, in basis points of its amount (10000 = 100 %; 0 = none). */
  deposit_rolling_multiplier_bps: basisPoints(100_000),
  /** Basis points of a bet that count toward the requirement, per game category. */
  category_contributions: z.object({
    SLOTS: basisPoints(10_000),
    LIVE_CASINO: basisPoints(10_000),
    TABLE: basisPoints(10_000),
    OTHER: basisPoints(10_000),
  }),
  /** Bank accounts players transfer deposits to (inactive ones too, flagged). */
  deposit_accounts: z.array(z.object({ id: z.uuid(), bank_name: z.string(), account_number: z.string(), holder: z.string(), active: z.boolean() })),
  /** Request limits in minor units of `currency`, as decimal strings. */
  limits: z.object({ min_deposit: minorUnits, max_deposit: minorUnits, min_withdrawal: minorUnits, max_withdrawal: minorUnits }),
  /** Minutes a pending request may wait for a decision before the top-info counts it stale. */
  stale_pending_after_minutes: z.object({ deposit: z.number().int().positive(), withdrawal: z.number().int().positive() }),
  /** Days a wagering requirement lasts from its creation when its creator sets no expiry (0..3650; 0 = requirements never expire). */
  rolling_expiry_days: z.number().int().min(0).max(3650),
});
/** What a brand's deposits, withdrawals and rolling follow, as the admin domain holds it now. */
export type BrandConfigContract = z.output<typeof brandConfigContract>;

/** `/internal/brands` and `/internal/staff/...`: what the admin domain tells the other services. */
export const adminRoutes = {
  brands: defineRoute({
    method: 'GET',
    path: '/internal/brands',
    request: z.object({}),
    response: z.object({ brands: z.array(catalogBrand) }),
  }),
  /** A brand's config (read for each use: it changes rarely, and a notice on `rgb:brands:changed` follows each change); `config: null` for an unknown brand. */
  brandConfig: defineRoute({
    method: 'GET',
    path: '/internal/brands/:brand_id/config',
    request: z.object({ brand_id: z.string().min(1) }),
    response: z.object({ config: brandConfigContract.nullable() }),
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
  /**
   * The brands an agent may serve now (its `agent_brand` allow-list, written only by the admin
   * domain; a notice on `rgb:agent-brands:changed` with the agent's id follows each change). An
   * agent with no row serves no brand.
   */
  agentBrands: defineRoute({
    method: 'GET',
    path: '/internal/agents/:agent_id/brands',
    request: z.object({ agent_id: z.uuid() }),
    response: z.object({ brand_ids: z.array(z.uuid()) }),
  }),
};
