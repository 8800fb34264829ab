import { fileURLToPath } from 'node:url';
import { startSubgraph, type SubgraphConfig, type SubgraphDefinition } from '@rgb/kit';
import { createLoaders, type WalletLoaders } from './loaders';
import { resolvers } from './resolvers';

export const DEFAULT_PORT = 8011;

export const walletSubgraph: SubgraphDefinition<WalletLoaders, Record<string, never>> = {
  name: 'wallet',
  schemaPath: fileURLToPath(new URL('../schema.graphql', import.meta.url)),
  resolvers,
  createLoaders,
  createServices: () => ({}),
};

export const start = (config: SubgraphConfig) => startSubgraph(walletSubgraph, config);
