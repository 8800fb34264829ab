import { fileURLToPath } from 'node:url';
import { BrandCatalog, closeServiceDeps, createServiceDeps, createSubgraphServer, ServiceClient } from '@rgb/kit';
import { GameCatalog } from './catalog';
import { createCallbackServer } from './callbacks/server';
import type { GameConfig } from './config';
import type { LaunchDeps } from './launch';
import { createLoaders } from './loaders';
import { PlayerDirectory } from './players';
import { resolvers } from './resolvers';
import { PlatformStaff } from './staff';

export { DEFAULT_PORT, loadGameConfig, type GameConfig } from './config';
export { sign as signCallback } from './callbacks/signature';
export { ROUTER_PROOF_HEADER } from './callbacks/server';

export interface GameServices {
  catalog: GameCatalog;
  launch: LaunchDeps;
  platformStaff: PlatformStaff;
}

/** The game subgraph and, on a listener of its own, the provider callbacks. */
export async function start(config: GameConfig) {
  const deps = createServiceDeps('game', config);
  const { prisma, serviceTokens, metrics, log } = deps;
  const brands = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'game', tokens: serviceTokens, log });
  const playerClient = new ServiceClient({ baseUrl: config.PLAYER_URL, tokens: serviceTokens, serviceName: 'game' });
  const walletClient = new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName: 'game' });
  const adminClient = new ServiceClient({ baseUrl: config.ADMIN_URL, tokens: serviceTokens, serviceName: 'game' });
  const platformStaff = new PlatformStaff(adminClient);
  const catalog = new GameCatalog(prisma);
  const players = new PlayerDirectory(prisma, playerClient, brands);
  const services: GameServices = { catalog, launch: { catalog, players, sessionKey: new TextEncoder().encode(config.AUTH_JWT_SECRET) }, platformStaff };

  await brands.start();
  const server = await createSubgraphServer(
    { name: 'game', schemaPath: fileURLToPath(new URL('../schema.graphql', import.meta.url)), resolvers, createLoaders, createServices: () => services },
    deps,
  );
  const callbacks = createCallbackServer({
    deps: { prisma, catalog, players, wallet: walletClient, log, inFlight: new Map() },
    serviceTokens,
    staffAccess: { userTokens: deps.userTokens, revocations: deps.revocations, platformStaff },
    metrics,
    log,
    maxBodyBytes: config.CALLBACK_MAX_BYTES,
  });
  // Callbacks first: once /health answers on the main port, every listener of the game is up.
  const callbackUrl = await callbacks.listen({ host: config.CALLBACK_HOST, port: config.CALLBACK_PORT });
  const url = await server.listen();
  log.info({ url, callbackUrl }, 'game subgraph and provider callbacks listening');
  return {
    ...server,
    url,
    callbackUrl,
    deps,
    async close() {
      await callbacks.close();
      await server.close();
      await brands.stop();
      await Promise.all([playerClient.close(), walletClient.close(), adminClient.close()]);
      await closeServiceDeps(deps);
    },
  };
}
