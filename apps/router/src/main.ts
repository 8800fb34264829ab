import { runMain } from '@rgb/kit';
import { loadRouterConfig, start } from './index';

runMain('router', () => start(loadRouterConfig()));
