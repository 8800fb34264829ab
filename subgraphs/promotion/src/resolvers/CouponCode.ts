import type { CouponCodeResolvers } from '../generated/resolvers-types';

export const CouponCode: CouponCodeResolvers = {
  redeemedCount: (code) => code.redeemed,
  createdAt: (code) => code.createdAt.toISOString(),
  player: (code) => (code.playerId === null ? null : { id: code.playerId }),
};
