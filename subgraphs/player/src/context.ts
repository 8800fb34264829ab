import type { SubgraphContext } from '@rgb/kit';
import type { PlayerLoaders } from './loaders';
import type { PlayerServices } from './index';

export type Context = SubgraphContext<PlayerLoaders, PlayerServices>;
