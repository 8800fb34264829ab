import { loadWorkerConfig, runMain } from '@rgb/kit';
import { startPlayerWorker, WORKER_DEFAULT_PORT } from './worker';

runMain('player_worker', () => startPlayerWorker(loadWorkerConfig(WORKER_DEFAULT_PORT)));
