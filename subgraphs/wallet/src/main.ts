import { loadSubgraphConfig, runMain } from '@rgb/kit';
import { DEFAULT_PORT, start } from './index';

runMain('wallet', () => start(loadSubgraphConfig(DEFAULT_PORT)));
