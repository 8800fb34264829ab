import { STREAMS } from '@rgb/contracts';
import { StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { adminDomain } from './domain';
import { recordStaffActionEvent } from './audit';
import { countRegistration } from './top-info';

/** admin_worker: projects the other domains' events into the live top-info, and their staff actions into the audit log. */
export const adminWorker: WorkerDefinition = {
  name: adminDomain.worker.name,
  loops: ({ prisma, redis, blockingRedis, metrics, log }) => {
    const shared = { inbox: adminDomain.inbox, prisma, redis, blockingRedis, metrics, log };
    return [
      new StreamConsumer({ ...shared, group: 'admin.top-info', stream: STREAMS.player, handlers: { PLAYER_REGISTERED: countRegistration } }),
      new StreamConsumer({ ...shared, group: 'admin.audit', stream: STREAMS.wallet, handlers: { STAFF_ACTION_RECORDED: recordStaffActionEvent } }),
      new StreamConsumer({ ...shared, group: 'admin.audit', stream: STREAMS.game, handlers: { STAFF_ACTION_RECORDED: recordStaffActionEvent } }),
    ];
  },
};

export const startAdminWorker = (config: WorkerConfig) => startWorker(adminWorker, config);
