import { promotionAccess } from '../authorization';
import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  coupons: ({ id }, { first, after }, { caller, loaders }) => {
    promotionAccess.readPlayerPromotions(caller, id);
    return loaders.couponsByPlayerId(id, { first, after });
  },
  promotionPayouts: ({ id }, { first, after }, { caller, loaders }) => {
    promotionAccess.readPlayerPromotions(caller, id);
    return loaders.payoutsByPlayerId(id, { first, after });
  },
};
