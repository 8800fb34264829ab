import type { SubgraphContext } from '@rgb/kit';
import type { AgentServices } from './index';
import type { AgentLoaders } from './loaders';

export type Context = SubgraphContext<AgentLoaders, AgentServices>;
