import { forbidden } from '@rgb/contracts';
import { type BrandRef, type Caller, requireCaller, type UserCaller } from '@rgb/kit';

/**
 * Who may read a brand's live top-info: staff signed in on that brand. Staff tokens are bound to
 * the brand they logged in on, and login checks the staff member's access to it. Decided from
 * the signed context alone, so every caller of one brand and audience gets the same answer
 * (the router shares one upstream subscription among them).
 * Permission `topinfo.read`: once staff permissions travel in the signed context, this is
 * `requirePermission(caller, 'topinfo.read')`.
 */
export function requireTopInfoReader(caller: Caller | null, brand: BrandRef): UserCaller {
  const staff = requireCaller(caller, 'staff');
  if (staff.brandId !== brand.id) throw forbidden('no access to this brand');
  return staff;
}
