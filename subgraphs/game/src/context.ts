import type { SubgraphContext } from '@rgb/kit';
import type { GameServices } from './index';
import type { GameLoaders } from './loaders';

export type Context = SubgraphContext<GameLoaders, GameServices>;
