import { SessionManager } from '@rgb/auth';
import { Redis } from 'ioredis';
import { adminRoutes } from '@rgb/contracts';
import {
  AGENT_BRANDS_CHANGED_CHANNEL,
  BRANDS_CHANGED_CHANNEL,
  createLoginThrottle,
  repositoryPath,
  serveRoute,
  ServiceClient,
  STAFF_ACCESS_CHANGED_CHANNEL,
  startSubgraph,
  type LoginThrottle,
  type ServiceDeps,
  type SubgraphConfig,
  type SubgraphDefinition,
} from '@rgb/kit';
import { configContract, readBrandConfig } from './brand-management';
import { brandCatalog } from './brands';
import { adminDomain } from './domain';
import { createLoaders, type AdminLoaders } from './loaders';
import { resolvers } from './resolvers';
import { staffAccess } from './access';
import { agentBrandIds } from './agent-brands';
import { announce } from './notices';
import { TopInfoFeed } from './top-info-feed';

export interface AdminServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
  topInfo: TopInfoFeed;
  /** Tells the routers, after commit, that what a staff member (`*`: any) may do changed. */
  accessChanged(staffId: string): Promise<void>;
  /** Tells every brand catalogue, after commit, that a brand, its domains or its config changed. */
  brandsChanged(brandId: string): Promise<void>;
  /** Tells the agent domain, after commit, that the brands an agent may serve changed. */
  agentBrandsChanged(agentId: string): Promise<void>;
  /** The agent domain, asked whether an agent exists before its allow-list is written. */
  agent: ServiceClient;
}

/** How often watched top-infos are read again without a notice, so a missed one is made good. */
const TOP_INFO_REFRESH_MS = 15_000;

export const adminSubgraph: SubgraphDefinition<AdminLoaders, AdminServices> = {
  name: adminDomain.api.name,
  schemaPath: repositoryPath(adminDomain.api.schema),
  resolvers,
  createLoaders,
  createServices: async (deps: ServiceDeps) => {
    // Pub/sub takes a connection of its own.
    const subscriber = new Redis(deps.config.REDIS_URL);
    subscriber.on('error', (error) => deps.log.warn({ err: error }, 'redis subscriber connection error'));
    const topInfo = new TopInfoFeed(deps.prisma, subscriber, deps.log, TOP_INFO_REFRESH_MS);
    await topInfo.start();
    return {
      sessions: new SessionManager(deps.prisma, 'admin.staff_session', deps.userTokens, deps.config.AUTH_JWT_SECRET, 'staff', (sessionId) =>
        deps.revocations.revoke(sessionId),
      ),
      loginThrottle: createLoginThrottle(deps),
      topInfo,
      agent: new ServiceClient({ baseUrl: deps.config.AGENT_URL, tokens: deps.serviceTokens, serviceName: 'admin' }),
      accessChanged: (staffId) =>
        announce(deps.redis, deps.log, { channel: STAFF_ACCESS_CHANGED_CHANNEL, message: staffId, otherwise: 'routers see it when their cache entry expires' }),
      brandsChanged: (brandId) =>
        announce(deps.redis, deps.log, { channel: BRANDS_CHANGED_CHANNEL, message: brandId, otherwise: 'catalogues see it on their next timed reload' }),
      agentBrandsChanged: (agentId) =>
        announce(deps.redis, deps.log, { channel: AGENT_BRANDS_CHANGED_CHANNEL, message: agentId, otherwise: 'the agent domain sees it when its cached allow-list expires' }),
    };
  },
  closeServices: async ({ topInfo, agent }) => {
    await Promise.all([topInfo.close(), agent.close()]);
  },
  internalRoutes: (app, { prisma }) => {
    serveRoute(app, adminRoutes.brands, async () => ({ brands: await brandCatalog(prisma) }));
    serveRoute(app, adminRoutes.brandConfig, async ({ brand_id }) => {
      const config = await readBrandConfig(prisma, brand_id);
      return { config: config && configContract(config) };
    });
    serveRoute(app, adminRoutes.staffAccess, async ({ staff_id }) => ({ access: await staffAccess(prisma, staff_id) }));
    serveRoute(app, adminRoutes.agentBrands, async ({ agent_id }) => ({ brand_ids: await agentBrandIds(prisma, agent_id) }));
  },
};

export const start = (config: SubgraphConfig) => startSubgraph(adminSubgraph, config);
export { adminWorker } from './worker';
