import type { SubgraphContext } from '@rgb/kit';
import type { WalletServices } from './index';
import type { WalletLoaders } from './loaders';

export type Context = SubgraphContext<WalletLoaders, WalletServices>;
