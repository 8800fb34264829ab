import { requireTopInfoReader } from '../access';
import type { SubscriptionResolvers } from '../generated/resolvers-types';
import type { TopInfoFigures } from '../top-info';

export const Subscription: SubscriptionResolvers = {
  topInfo: {
    subscribe: (_parent, _args, { caller, brand, services }) => {
      requireTopInfoReader(caller, brand);
      return services.topInfo.subscribe(brand);
    },
    resolve: (figures: TopInfoFigures) => figures,
  },
};
