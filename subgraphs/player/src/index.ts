import { fileURLToPath } from 'node:url';
import { SessionManager } from '@rgb/auth';
import { startSubgraph, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { playerInternalRoutes } from './internal-routes';
import { createLoaders, type PlayerLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface PlayerServices {
  sessions: SessionManager;
}

export const DEFAULT_PORT = 8010;

export const playerSubgraph: SubgraphDefinition<PlayerLoaders, PlayerServices> = {
  name: 'player',
  schemaPath: fileURLToPath(new URL('../schema.graphql', import.meta.url)),
  resolvers,
  createLoaders,
  createServices: ({ config, prisma, userTokens, revocations }: ServiceDeps) => ({
    sessions: new SessionManager(prisma, 'player.player_session', userTokens, config.AUTH_JWT_SECRET, 'player', (sessionId) => revocations.revoke(sessionId)),
  }),
  internalRoutes: (app, { prisma }) => playerInternalRoutes(app, prisma),
};

export const start = (config: SubgraphConfig) => startSubgraph(playerSubgraph, config);
