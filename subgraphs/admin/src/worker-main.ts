import { loadWorkerConfig, runMain } from '@rgb/kit';
import { startAdminWorker, WORKER_DEFAULT_PORT } from './worker';

runMain('admin_worker', () => startAdminWorker(loadWorkerConfig(WORKER_DEFAULT_PORT)));
