import { fileURLToPath } from 'node:url';
import { startSubgraph, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { walletInternalRoutes } from './internal-routes';
import { createLoaders, type WalletLoaders } from './loaders';
import { openGate, type WithdrawalGate } from './requests';
import { resolvers } from './resolvers';

export interface WalletServices {
  withdrawalGate: WithdrawalGate;
}

export const DEFAULT_PORT = 8011;

export const walletSubgraph: SubgraphDefinition<WalletLoaders, WalletServices> = {
  name: 'wallet',
  schemaPath: fileURLToPath(new URL('../schema.graphql', import.meta.url)),
  resolvers,
  createLoaders,
  createServices: () => ({ withdrawalGate: openGate }),
  internalRoutes: (app, { prisma }) => walletInternalRoutes(app, prisma),
};

export const start = (config: SubgraphConfig) => startSubgraph(walletSubgraph, config);
