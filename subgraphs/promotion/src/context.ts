import type { SubgraphContext } from '@rgb/kit';
import type { PromotionServices } from './index';
import type { PromotionLoaders } from './loaders';

export type Context = SubgraphContext<PromotionLoaders, PromotionServices>;
