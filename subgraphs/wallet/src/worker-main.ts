import { loadWorkerConfig, runMain } from '@rgb/kit';
import { startWalletWorker, WORKER_DEFAULT_PORT } from './worker';

runMain('wallet_worker', () => startWalletWorker(loadWorkerConfig(WORKER_DEFAULT_PORT)));
