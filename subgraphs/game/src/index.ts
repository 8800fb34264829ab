import { AgentAccess, BrandCatalog, repositoryPath, ServiceClient, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import { GameCatalog } from './catalog';
import { createCallbackServer } from './callbacks/server';
import type { GameConfig } from './config';
import { callbackListener, gameDomain } from './domain';
import { CallbackStore } from './history';
import type { LaunchDeps } from './launch';
import { createLoaders, type GameLoaders } from './loaders';
import { PlayerDirectory } from './players';
import { resolvers } from './resolvers';
import { IntegrationStaff } from './authorization';
import { RgsLauncher } from './rgs';

export { loadGameConfig, type GameConfig } from './config';
export { sign as signCallback } from '@rgb/kit';
export { ROUTER_PROOF_HEADER } from '@rgb/kit';

export interface GameServices {
  catalog: GameCatalog;
  launch: LaunchDeps;
  integrationStaff: IntegrationStaff;
  players: PlayerDirectory;
  /** The wallet's provider-money routes, the only way the game moves money. */
  wallet: ServiceClient;
  brands: BrandCatalog;
  /** Which players an agent caller may see. */
  agentAccess: AgentAccess;
  /** The internal APIs the game calls (and the RGS), closed with it. */
  clients: { close(): Promise<void> }[];
}

/** The game subgraph and, on a listener of its own, the provider callbacks. */
export function gameSubgraph(config: GameConfig): SubgraphDefinition<GameLoaders, GameServices> {
  return {
    name: gameDomain.api.name,
    schemaPath: repositoryPath(gameDomain.api.schema),
    resolvers,
    createLoaders: (prisma, brand, request) => createLoaders(prisma, brand, request.services.agentAccess.forRequest(request)),
    async createServices({ prisma, serviceTokens, log }) {
      const brands = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'game', tokens: serviceTokens, log });
      const playerClient = new ServiceClient({ baseUrl: config.PLAYER_URL, tokens: serviceTokens, serviceName: 'game' });
      const walletClient = new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName: 'game' });
      const adminClient = new ServiceClient({ baseUrl: config.ADMIN_URL, tokens: serviceTokens, serviceName: 'game' });
      const agentClient = new ServiceClient({ baseUrl: config.AGENT_URL, tokens: serviceTokens, serviceName: 'game' });
      const integrationStaff = new IntegrationStaff(adminClient);
      const catalog = new GameCatalog(prisma);
      const players = new PlayerDirectory(prisma, playerClient, brands);
      const rgs = new RgsLauncher({ baseUrl: config.RGS_URL, operatorKey: config.RGS_OPERATOR_KEY, log });
      await brands.start();
      return {
        catalog,
        launch: { catalog, players, sessionKey: new TextEncoder().encode(config.AUTH_JWT_SECRET), rgs },
        integrationStaff,
        players,
        wallet: walletClient,
        brands,
        agentAccess: new AgentAccess(agentClient),
        clients: [playerClient, walletClient, adminClient, agentClient, rgs],
      };
    },
    async closeServices({ brands, clients }) {
      await brands.stop();
      await Promise.all(clients.map((client) => client.close()));
    },
    listeners: (deps, { catalog, players, wallet, integrationStaff }) => {
      const callbacks = createCallbackServer({
        deps: { prisma: deps.prisma, store: new CallbackStore(deps.prisma, deps.metrics, deps.log), catalog, players, wallet, log: deps.log, inFlight: new Map() },
        serviceTokens: deps.serviceTokens,
        staffAccess: { userTokens: deps.userTokens, revocations: deps.revocations, integrationStaff },
        metrics: deps.metrics,
        log: deps.log,
        maxBodyBytes: config.CALLBACK_MAX_BYTES,
      });
      return [
        {
          name: callbackListener.name,
          listen: () => callbacks.listen({ host: config.CALLBACK_HOST, port: config.CALLBACK_PORT }),
          close: () => callbacks.close(),
        },
      ];
    },
  };
}

export const start = (config: GameConfig) => startSubgraph(gameSubgraph(config), config);
export { gameWorker } from './worker';
