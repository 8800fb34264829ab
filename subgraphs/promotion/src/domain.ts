import { defineApi, defineDomain, defineWorker } from '@rgb/kit';

const api = defineApi({
  name: 'promotion',
  port: 8014,
  schema: 'subgraphs/promotion/schema.graphql',
  entry: 'subgraphs/promotion/src/main.ts',
  start: async (env) => {
    const { loadPromotionConfig, start } = await import('./index');
    return start(loadPromotionConfig(env));
  },
});

const worker = defineWorker({
  name: 'promotion_worker',
  port: 9014,
  entry: 'subgraphs/promotion/src/worker-main.ts',
  start: async (env) => {
    const { loadPromotionWorkerConfig, startPromotionWorker } = await import('./worker');
    return startPromotionWorker(loadPromotionWorkerConfig(env));
  },
});

/**
 * promotion: bonuses paid through the wallet, each with the wagering requirement rolling makes
 * for it: coupons (campaigns, codes, redemptions; the ones agents grant their players, issued and
 * recycled for the agent domain) and programs (rebate, cashback, lossback) settled per period.
 * Its worker consumes the wallet stream into the programs' daily figures, settles ended periods,
 * pays what is left pending, expires campaigns and publishes promotion's outbox (its staff
 * actions) to rgb:stream:promotion.
 */
export const promotionDomain = defineDomain({
  name: 'promotion',
  api,
  worker,
  produces: 'promotion',
  outbox: 'promotion.outbox',
  consumes: ['wallet'],
  inbox: 'promotion.inbox',
});
