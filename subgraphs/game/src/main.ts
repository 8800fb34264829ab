import { runMain } from '@rgb/kit';
import { loadGameConfig, start } from './index';

runMain('game', () => start(loadGameConfig()));
