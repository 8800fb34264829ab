import { SessionManager } from '@rgb/auth';
import {
  AgentAccess,
  createLoginThrottle,
  repositoryPath,
  ServiceClient,
  startSubgraph,
  type LoginThrottle,
  type ServiceDeps,
  type SubgraphConfig,
  type SubgraphDefinition,
} from '@rgb/kit';
import { playerInternalRoutes } from './internal-routes';
import { playerDomain } from './domain';
import { createLoaders, type PlayerLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface PlayerServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
  /** The agent domain: which agent a registering player's code names. */
  agent: ServiceClient;
  /** Which players an agent caller may see. */
  agentAccess: AgentAccess;
}

export const playerSubgraph: SubgraphDefinition<PlayerLoaders, PlayerServices> = {
  name: playerDomain.api.name,
  schemaPath: repositoryPath(playerDomain.api.schema),
  resolvers,
  createLoaders: (prisma, brand, request) => createLoaders(prisma, brand, request.services.agentAccess.forRequest(request)),
  createServices: (deps: ServiceDeps) => {
    const agent = new ServiceClient({ baseUrl: deps.config.AGENT_URL, tokens: deps.serviceTokens, serviceName: 'player' });
    return {
      sessions: new SessionManager(deps.prisma, 'player.player_session', deps.userTokens, deps.config.AUTH_JWT_SECRET, 'player', (sessionId) => deps.revocations.revoke(sessionId)),
      loginThrottle: createLoginThrottle(deps),
      agent,
      agentAccess: new AgentAccess(agent),
    };
  },
  closeServices: ({ agent }) => agent.close(),
  internalRoutes: (app, { prisma }) => playerInternalRoutes(app, prisma),
};

export const start = (config: SubgraphConfig) => startSubgraph(playerSubgraph, config);
export { playerWorker } from './worker';
