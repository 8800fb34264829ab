import { settleAdjustmentCall } from './adjustments';
import type { Settler, SubjectType } from './calls';
import { settleCouponGrantCall } from './coupon-grants';
import { settleWithdrawalCall } from './withdrawals';

/** Who applies each call's answer: its subject's flow. */
export const moneySettlers: Record<SubjectType, Settler> = {
  withdrawal: settleWithdrawalCall,
  coupon_grant: settleCouponGrantCall,
  balance_adjustment: settleAdjustmentCall,
};
