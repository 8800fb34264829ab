import type { SubgraphContext } from '@rgb/kit';
import type { AdminServices } from './index';
import type { AdminLoaders } from './loaders';

export type Context = SubgraphContext<AdminLoaders, AdminServices>;
