import { repositoryPath, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import type { PromotionConfig } from './config';
import { promotionDomain } from './domain';
import { createLoaders, type PromotionLoaders } from './loaders';
import { type ClosablePayer, couponPayer } from './payer';
import { resolvers } from './resolvers';

export { loadPromotionConfig, type PromotionConfig } from './config';

export interface PromotionServices {
  /** The wallet and rolling clients a redemption is paid through. */
  payer: ClosablePayer;
}

/** The promotion subgraph: coupon campaigns for staff, redemptions for players. */
export function promotionSubgraph(config: PromotionConfig): SubgraphDefinition<PromotionLoaders, PromotionServices> {
  return {
    name: promotionDomain.api.name,
    schemaPath: repositoryPath(promotionDomain.api.schema),
    resolvers,
    createLoaders,
    createServices: (deps) => ({ payer: couponPayer(config, deps, 'promotion') }),
    closeServices: ({ payer }) => payer.close(),
  };
}

export const start = (config: PromotionConfig) => startSubgraph(promotionSubgraph(config), config);
export { promotionWorker } from './worker';
