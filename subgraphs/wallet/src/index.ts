import { repositoryPath, startSubgraph, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { walletInternalRoutes } from './internal-routes';
import { walletDomain } from './domain';
import { createLoaders, type WalletLoaders } from './loaders';
import { openGate, type WithdrawalGate } from './requests';
import { resolvers } from './resolvers';

export interface WalletServices {
  withdrawalGate: WithdrawalGate;
}

export const walletSubgraph: SubgraphDefinition<WalletLoaders, WalletServices> = {
  name: walletDomain.api.name,
  schemaPath: repositoryPath(walletDomain.api.schema),
  resolvers,
  createLoaders,
  createServices: () => ({ withdrawalGate: openGate }),
  internalRoutes: (app, { prisma }) => walletInternalRoutes(app, prisma),
};

export const start = (config: SubgraphConfig) => startSubgraph(walletSubgraph, config);
export { findLedgerMismatches } from './reconciliation';
