import { AgentAccess, BrandConfigs, repositoryPath, ServiceClient, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import type { WalletConfig } from './config';
import { walletDomain } from './domain';
import { walletInternalRoutes } from './internal-routes';
import { createLoaders, type WalletLoaders } from './loaders';
import { resolvers } from './resolvers';
import { WithdrawalGate } from './withdrawal-gate';

export { loadWalletConfig, type WalletConfig } from './config';

/** A withdrawal waits at most this long for a connection to rolling (the response wait is ROLLING_RESPONSE_TIMEOUT_MS). */
const ROLLING_CONNECT_TIMEOUT_MS = 500;

export interface WalletServices {
  /** The brands' configs (deposit and withdrawal limits), from the admin domain. */
  brandConfigs: BrandConfigs;
  /** The rolling domain's check before every withdrawal. */
  withdrawalGate: WithdrawalGate;
  /** Which players an agent caller may see, on its client of the agent service. */
  agentAccess: AgentAccess;
  agent: ServiceClient;
}

export function walletSubgraph(config: WalletConfig): SubgraphDefinition<WalletLoaders, WalletServices> {
  return {
    name: walletDomain.api.name,
    schemaPath: repositoryPath(walletDomain.api.schema),
    resolvers,
    createLoaders: (prisma, brand, request) => createLoaders(prisma, brand, request.services.agentAccess.forRequest(request)),
    async createServices({ serviceTokens, metrics, log }) {
      const brandConfigs = new BrandConfigs({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'wallet', tokens: serviceTokens, log });
      await brandConfigs.start();
      const rolling = new ServiceClient({
        baseUrl: config.ROLLING_URL,
        tokens: serviceTokens,
        serviceName: 'wallet',
        connectTimeoutMs: ROLLING_CONNECT_TIMEOUT_MS,
        responseTimeoutMs: config.ROLLING_RESPONSE_TIMEOUT_MS,
      });
      const agent = new ServiceClient({ baseUrl: config.AGENT_URL, tokens: serviceTokens, serviceName: 'wallet' });
      return { brandConfigs, withdrawalGate: new WithdrawalGate(rolling, metrics), agentAccess: new AgentAccess(agent), agent };
    },
    closeServices: async ({ brandConfigs, withdrawalGate, agent }) => {
      await Promise.all([brandConfigs.stop(), withdrawalGate.close(), agent.close()]);
    },
    internalRoutes: (app, { prisma }) => walletInternalRoutes(app, prisma),
  };
}

export const start = (config: WalletConfig) => startSubgraph(walletSubgraph(config), config);
export { findLedgerMismatches } from './reconciliation';
