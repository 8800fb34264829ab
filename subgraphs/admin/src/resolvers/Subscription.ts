import { authorize } from '../authorization';
import type { SubscriptionResolvers } from '../generated/resolvers-types';
import type { TopInfoFigures } from '../top-info';

export const Subscription: SubscriptionResolvers = {
  topInfo: {
    subscribe: (_parent, _args, { caller, brand, services }) => {
      authorize(caller, 'topinfo.read');
      return services.topInfo.subscribe(brand);
    },
    resolve: (figures: TopInfoFigures) => figures,
  },
};
