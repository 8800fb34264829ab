import { promotionRoutes } from '@rgb/contracts';
import { BrandCatalog, repositoryPath, serveRoute, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import { issueAgentCoupon, recycleAgentCoupon } from './agent-coupons';
import type { PromotionConfig } from './config';
import { promotionDomain } from './domain';
import { createLoaders, type PromotionLoaders } from './loaders';
import { bonusPayer, type ClosablePayer } from './payer';
import { localDay } from './program-rules';
import { resolvers } from './resolvers';

export { loadPromotionConfig, type PromotionConfig } from './config';

export interface PromotionServices {
  /** The wallet and rolling clients a redemption is paid (and a payout reversed) through. */
  payer: ClosablePayer;
  /** The brand's local date now (its time zone, from the brand catalogue): programs' periods are of local days. */
  todayOf(brandId: string): string;
  close(): Promise<void>;
}

/** The promotion subgraph: coupon campaigns and programs for staff, redemptions and payouts for players. */
export function promotionSubgraph(config: PromotionConfig): SubgraphDefinition<PromotionLoaders, PromotionServices> {
  return {
    name: promotionDomain.api.name,
    schemaPath: repositoryPath(promotionDomain.api.schema),
    resolvers,
    createLoaders,
    async createServices(deps) {
      const brands = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'promotion', tokens: deps.serviceTokens, log: deps.log });
      await brands.start();
      const payer = bonusPayer(config, deps, 'promotion');
      return {
        payer,
        todayOf(brandId) {
          const brand = brands.byId(brandId);
          if (!brand) throw new Error(`brand ${brandId} is not in the catalogue`);
          return localDay(new Date(), brand.timezone);
        },
        close: async () => {
          await Promise.all([payer.close(), brands.stop()]);
        },
      };
    },
    closeServices: (services) => services.close(),
    // `/internal/promotion/*` (packages/contracts `promotionRoutes`): the agent domain's coupons.
    internalRoutes: (app, { prisma }) => {
      serveRoute(app, promotionRoutes.agentCouponIssue, async (issue, http) => {
        const { code, duplicate } = await issueAgentCoupon(prisma, issue);
        if (!duplicate) http.log.info({ brand: issue.brand.code, grantId: issue.grantId, agentId: issue.agentId }, 'agent coupon issued');
        return { coupon_code: code, duplicate };
      });
      serveRoute(app, promotionRoutes.agentCouponRecycle, async ({ brand, grantId }, http) => {
        const answer = await recycleAgentCoupon(prisma, brand, grantId);
        if (!answer.duplicate) http.log.info({ brand: brand.code, grantId }, 'agent coupon recycled');
        return answer;
      });
    },
  };
}

export const start = (config: PromotionConfig) => startSubgraph(promotionSubgraph(config), config);
export { promotionWorker } from './worker';
