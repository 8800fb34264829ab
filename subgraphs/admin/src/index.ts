import { SessionManager } from '@rgb/auth';
import { adminRoutes } from '@rgb/contracts';
import { createLoginThrottle, repositoryPath, serveRoute, startSubgraph, type LoginThrottle, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { brandCatalog } from './brands';
import { adminDomain } from './domain';
import { createLoaders, type AdminLoaders } from './loaders';
import { resolvers } from './resolvers';
import { announceAccessChanged, staffAccess } from './access';

export interface AdminServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
  /** Tells the routers, after commit, that what a staff member (`*`: any) may do changed. */
  accessChanged(staffId: string): Promise<void>;
}

export const adminSubgraph: SubgraphDefinition<AdminLoaders, AdminServices> = {
  name: adminDomain.api.name,
  schemaPath: repositoryPath(adminDomain.api.schema),
  resolvers,
  createLoaders,
  createServices: (deps: ServiceDeps) => ({
    sessions: new SessionManager(deps.prisma, 'admin.staff_session', deps.userTokens, deps.config.AUTH_JWT_SECRET, 'staff', (sessionId) => deps.revocations.revoke(sessionId)),
    loginThrottle: createLoginThrottle(deps),
    accessChanged: (staffId) => announceAccessChanged(deps.redis, deps.log, staffId),
  }),
  internalRoutes: (app, { prisma }) => {
    serveRoute(app, adminRoutes.brands, async () => ({ brands: await brandCatalog(prisma) }));
    serveRoute(app, adminRoutes.staffAccess, async ({ staff_id }) => ({ access: await staffAccess(prisma, staff_id) }));
  },
};

export const start = (config: SubgraphConfig) => startSubgraph(adminSubgraph, config);
export { adminWorker } from './worker';
