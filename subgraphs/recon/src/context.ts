import type { SubgraphContext } from '@rgb/kit';
import type { ReconServices } from './index';
import type { ReconLoaders } from './loaders';

export type Context = SubgraphContext<ReconLoaders, ReconServices>;
