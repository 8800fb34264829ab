import { fileURLToPath } from 'node:url';
import { SessionManager } from '@rgb/auth';
import { startSubgraph, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { brandCatalog } from './brands';
import { createLoaders, type AdminLoaders } from './loaders';
import { resolvers } from './resolvers';
import { hasPlatformAccess } from './staff';

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

export interface AdminServices {
  sessions: SessionManager;
}

export const DEFAULT_PORT = 8016;

export const adminSubgraph: SubgraphDefinition<AdminLoaders, AdminServices> = {
  name: 'admin',
  schemaPath: fileURLToPath(new URL('../schema.graphql', import.meta.url)),
  resolvers,
  createLoaders,
  createServices: ({ config, prisma, userTokens, revocations }: ServiceDeps) => ({
    sessions: new SessionManager(prisma, 'admin.staff_session', userTokens, config.AUTH_JWT_SECRET, 'staff', (sessionId) => revocations.revoke(sessionId)),
  }),
  internalRoutes: (app, { prisma }) => {
    app.get('/internal/brands', async () => ({ brands: await brandCatalog(prisma) }));
    app.get<{ Params: { id: string } }>('/internal/staff/:id/platform-access', async (request) => ({
      platform_access: UUID.test(request.params.id) && (await hasPlatformAccess(prisma, request.params.id)),
    }));
  },
};

export const start = (config: SubgraphConfig) => startSubgraph(adminSubgraph, config);
