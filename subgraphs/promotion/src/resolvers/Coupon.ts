import { formatMoney } from '@rgb/contracts';
import { promotionAccess } from '../authorization';
import type { CouponResolvers } from '../generated/resolvers-types';

export const Coupon: CouponResolvers = {
  amount: (coupon) => formatMoney(coupon.amount, coupon.currency),
  redeemedAt: (coupon) => coupon.createdAt.toISOString(),
  paidAt: (coupon) => coupon.paidAt?.toISOString() ?? null,
  reversed: (coupon) => formatMoney(coupon.reversed, coupon.currency),
  player: (coupon) => ({ id: coupon.playerId }),
  attempts: (coupon, _args, { caller }) => (promotionAccess.seesPayFailures(caller) ? coupon.payAttempts : null),
  lastError: (coupon, _args, { caller }) => (promotionAccess.seesPayFailures(caller) ? coupon.lastPayError : null),
};
