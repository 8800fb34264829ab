import { SessionManager } from '@rgb/auth';
import { adminRoutes } from '@rgb/contracts';
import { createLoginThrottle, repositoryPath, serveRoute, startSubgraph, type LoginThrottle, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { brandCatalog } from './brands';
import { adminDomain } from './domain';
import { createLoaders, type AdminLoaders } from './loaders';
import { resolvers } from './resolvers';
import { hasPlatformAccess } from './staff';

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

export interface AdminServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
}

export const adminSubgraph: SubgraphDefinition<AdminLoaders, AdminServices> = {
  name: adminDomain.api.name,
  schemaPath: repositoryPath(adminDomain.api.schema),
  resolvers,
  createLoaders,
  createServices: (deps: ServiceDeps) => ({
    sessions: new SessionManager(deps.prisma, 'admin.staff_session', deps.userTokens, deps.config.AUTH_JWT_SECRET, 'staff', (sessionId) => deps.revocations.revoke(sessionId)),
    loginThrottle: createLoginThrottle(deps),
  }),
  internalRoutes: (app, { prisma }) => {
    serveRoute(app, adminRoutes.brands, async () => ({ brands: await brandCatalog(prisma) }));
    serveRoute(app, adminRoutes.platformAccess, async ({ staff_id }) => ({
      platform_access: UUID.test(staff_id) && (await hasPlatformAccess(prisma, staff_id)),
    }));
  },
};

export const start = (config: SubgraphConfig) => startSubgraph(adminSubgraph, config);
export { adminWorker } from './worker';
