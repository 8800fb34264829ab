import { badUserInput, notFound, rollingRoutes } from '@rgb/contracts';
import { BrandConfigs, repositoryPath, serveRoute, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import type { RollingConfig } from './config';
import { rollingDomain } from './domain';
import { cancelForSource } from './lifecycle';
import { createLoaders, type RollingLoaders } from './loaders';
import { requireForPromotion } from './requirements';
import { resolvers } from './resolvers';
import { checkWithdrawal } from './withdrawal-check';

export { loadRollingConfig, type RollingConfig } from './config';

export interface RollingServices {
  /** The brands' configs (multipliers, contributions, expiry), from the admin domain. */
  configs: BrandConfigs;
}

/** The rolling subgraph, and its `/internal/rolling/*` routes: the wallet's withdrawal check, the promotions' requirements (made and canceled). */
export function rollingSubgraph(config: RollingConfig): SubgraphDefinition<RollingLoaders, RollingServices> {
  return {
    name: rollingDomain.api.name,
    schemaPath: repositoryPath(rollingDomain.api.schema),
    resolvers,
    createLoaders,
    async createServices({ serviceTokens, log }) {
      const configs = new BrandConfigs({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'rolling', tokens: serviceTokens, log });
      await configs.start();
      return { configs };
    },
    closeServices: ({ configs }) => configs.stop(),
    internalRoutes: (app, { prisma }, { configs }) => {
      serveRoute(app, rollingRoutes.withdrawalCheck, (check) => checkWithdrawal(prisma, check));
      serveRoute(app, rollingRoutes.requirement, async (request) => {
        const brandConfig = await configs.get(request.brand.id);
        if (!brandConfig) throw notFound(`no brand ${request.brand.id}`);
        if (brandConfig.currency !== request.brand.currency) throw badUserInput(`brand ${request.brand.id} keeps ${brandConfig.currency}, not ${request.brand.currency}`);
        const { rolling, duplicate } = await requireForPromotion(prisma, brandConfig, request);
        return { rolling_id: rolling?.id ?? null, duplicate };
      });
      serveRoute(app, rollingRoutes.cancelRequirement, (request) => cancelForSource(prisma, request));
    },
  };
}

export const start = (config: RollingConfig) => startSubgraph(rollingSubgraph(config), config);
export { rollingWorker } from './worker';
