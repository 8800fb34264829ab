import type { SubgraphContext } from '@rgb/kit';
import type { RollingServices } from './index';
import type { RollingLoaders } from './loaders';

export type Context = SubgraphContext<RollingLoaders, RollingServices>;
