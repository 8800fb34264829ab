import { forbidden } from '@rgb/contracts';
import type { StaffActor } from '@rgb/events';
import { type Caller, holdsPermission, requireCaller, requirePermission } from '@rgb/kit';

const staffActor = (permission: 'promotions.manage') => ({ caller, requestId }: { caller: Caller | null; requestId: string }): StaffActor => ({
  staffId: requirePermission(caller, permission).id,
  requestId,
});

/** Who may do what in the promotion domain, decided here only. */
export const promotionAccess = {
  /** Only a player redeems, for themself: the id the coupon is credited to. */
  redeemCoupon: (caller: Caller | null): string => requireCaller(caller, 'player').id,
  /** A player reads only their own coupons and payouts, services any, staff any of the brand with promotions.read. */
  readPlayerPromotions(caller: Caller | null, playerId: string): void {
    if (caller?.kind === 'service') return;
    if (caller?.kind !== 'player') requirePermission(caller, 'promotions.read');
    else if (caller.id !== playerId) throw forbidden("these are another player's promotions");
  },
  /** Campaigns, programs, their runs and items, previews. */
  readPromotions: (caller: Caller | null) => void requirePermission(caller, 'promotions.read'),
  /** Why a coupon's payment failed (a service's error text) is for staff with promotions.read, not for the player. */
  seesPayFailures: (caller: Caller | null): boolean => holdsPermission(caller, 'promotions.read'),
  /** Campaigns, codes, programs, settling a period on demand, retries, cancels and reversals: the staff member who does it. */
  managePromotions: staffActor('promotions.manage'),
};
