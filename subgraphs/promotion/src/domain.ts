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
 * for it. Coupons for now (campaigns, codes, redemptions); its worker pays redemptions left
 * pending and expires campaigns. It produces no stream. Its programs (rebate, cashback, lossback)
 * will consume the wallet stream: `consumes: ['wallet']` and `inbox: 'promotion.inbox'` come with
 * that consumer (a declared stream must have its consumer group, e2e/single-process.test.ts).
 */
export const promotionDomain = defineDomain({
  name: 'promotion',
  api,
  worker,
  consumes: [],
});
