import type { StaffAccess } from '@rgb/contracts';
import type { StaffGrant } from './request-context';

/** Redis channel the admin domain publishes a staff id on (`*`: anyone's) after changing what staff may do. */
export const STAFF_ACCESS_CHANGED_CHANNEL = 'rgb:staff:access-changed';
/** The notice that a role changed: every staff member holding it may be affected. */
export const ANY_STAFF = '*';

export type StaffAdmission = { admitted: true; grant: StaffGrant } | { admitted: false; status: 401 | 403; reason: string };

/**
 * Whether a staff member, as the admin domain holds them now, may act on `brandId`: unknown
 * or disabled staff are no longer signed in (401), a brand out of their scope is forbidden (403).
 */
export function admitStaff(access: StaffAccess | null, brandId: string): StaffAdmission {
  if (!access) return { admitted: false, status: 401, reason: 'this staff account no longer exists' };
  if (access.status !== 'ACTIVE') return { admitted: false, status: 401, reason: 'this staff account is disabled' };
  if (!access.all_brands && !access.brand_ids.includes(brandId)) return { admitted: false, status: 403, reason: 'this brand is not in your scope' };
  return { admitted: true, grant: { permissions: access.permissions, allBrands: access.all_brands } };
}
