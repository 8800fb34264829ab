import { SessionManager } from '@rgb/auth';
import { createLoginThrottle, repositoryPath, startSubgraph, type LoginThrottle, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
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
    app.get('/internal/brands', async () => ({ brands: await brandCatalog(prisma) }));
    app.get<{ Params: { id: string } }>('/internal/staff/:id/platform-access', async (request) => ({
      platform_access: UUID.test(request.params.id) && (await hasPlatformAccess(prisma, request.params.id)),
    }));
  },
};

export const start = (config: SubgraphConfig) => startSubgraph(adminSubgraph, config);
