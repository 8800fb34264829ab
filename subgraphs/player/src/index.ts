import { SessionManager } from '@rgb/auth';
import { createLoginThrottle, repositoryPath, startSubgraph, type LoginThrottle, type ServiceDeps, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { playerInternalRoutes } from './internal-routes';
import { playerDomain } from './domain';
import { createLoaders, type PlayerLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface PlayerServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
}

export const playerSubgraph: SubgraphDefinition<PlayerLoaders, PlayerServices> = {
  name: playerDomain.api.name,
  schemaPath: repositoryPath(playerDomain.api.schema),
  resolvers,
  createLoaders,
  createServices: (deps: ServiceDeps) => ({
    sessions: new SessionManager(deps.prisma, 'player.player_session', deps.userTokens, deps.config.AUTH_JWT_SECRET, 'player', (sessionId) => deps.revocations.revoke(sessionId)),
    loginThrottle: createLoginThrottle(deps),
  }),
  internalRoutes: (app, { prisma }) => playerInternalRoutes(app, prisma),
};

export const start = (config: SubgraphConfig) => startSubgraph(playerSubgraph, config);
export { playerWorker } from './worker';
