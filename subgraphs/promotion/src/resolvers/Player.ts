import { promotionAccess } from '../authorization';
import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  coupons: ({ id }, _args, { caller, loaders }) => {
    promotionAccess.readPlayerPromotions(caller, id);
    return loaders.couponsByPlayerId.load(id);
  },
  promotionPayouts: ({ id }, _args, { caller, loaders }) => {
    promotionAccess.readPlayerPromotions(caller, id);
    return loaders.payoutsByPlayerId.load(id);
  },
};
