import type { SubgraphContext } from '@rgb/kit';
import type { WalletLoaders } from './loaders';

export type Context = SubgraphContext<WalletLoaders, Record<string, never>>;
