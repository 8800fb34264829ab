import { STREAMS } from '@rgb/contracts';
import { StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { adminDomain } from './domain';
import { countRegistration, notifyTopInfo, pendingRequestHandlers } from './top-info';

/** admin_worker: projects the other domains' events into the live top-info. */
export const adminWorker: WorkerDefinition = {
  name: adminDomain.worker.name,
  loops: ({ prisma, redis, blockingRedis, metrics, log }) => [
    new StreamConsumer({
      group: 'admin.top-info',
      stream: STREAMS.player,
      inbox: adminDomain.inbox,
      handlers: { PLAYER_REGISTERED: countRegistration },
      afterCommit: (events) => notifyTopInfo(redis, events),
      prisma,
      redis,
      blockingRedis: blockingRedis(),
      metrics,
      log,
    }),
    new StreamConsumer({
      group: 'admin.top-info',
      stream: STREAMS.wallet,
      inbox: adminDomain.inbox,
      handlers: pendingRequestHandlers,
      afterCommit: (events) => notifyTopInfo(redis, events),
      prisma,
      redis,
      blockingRedis: blockingRedis(),
      metrics,
      log,
    }),
  ],
};

export const startAdminWorker = (config: WorkerConfig) => startWorker(adminWorker, config);
