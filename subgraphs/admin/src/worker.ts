import { STREAMS } from '@rgb/contracts';
import { StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { countRegistration } from './top-info';

export const WORKER_DEFAULT_PORT = 9016;

/** admin_worker: projects the other domains' events into the live top-info. */
export const adminWorker: WorkerDefinition = {
  name: 'admin_worker',
  loops: ({ prisma, redis, blockingRedis, metrics, log }) => [
    new StreamConsumer({
      group: 'admin.top-info',
      stream: STREAMS.player,
      inbox: 'admin.inbox',
      handlers: { PLAYER_REGISTERED: countRegistration },
      prisma,
      redis,
      blockingRedis,
      metrics,
      log,
    }),
  ],
};

export const startAdminWorker = (config: WorkerConfig) => startWorker(adminWorker, config);
