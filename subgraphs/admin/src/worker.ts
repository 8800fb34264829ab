import { STREAMS } from '@rgb/contracts';
import { StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { adminDomain } from './domain';
import { recordStaffActionEvent } from './audit';
import { countRegistration } from './top-info';

/** admin_worker: projects the other domains' events into the live top-info, and their staff actions into the audit log. */
export const adminWorker: WorkerDefinition = {
  name: adminDomain.worker.name,
  loops: ({ prisma, redis, blockingRedis, blockingConnection, metrics, log }) => {
    const shared = { inbox: adminDomain.inbox, prisma, redis, metrics, log };
    const audit = { STAFF_ACTION_RECORDED: recordStaffActionEvent };
    // Each consumer blocks on a connection of its own: on a shared one their reads would take turns.
    return [
      new StreamConsumer({ ...shared, blockingRedis, group: 'admin.top-info', stream: STREAMS.player, handlers: { PLAYER_REGISTERED: countRegistration } }),
      new StreamConsumer({ ...shared, blockingRedis: blockingConnection(), group: 'admin.audit', stream: STREAMS.wallet, handlers: audit }),
      new StreamConsumer({ ...shared, blockingRedis: blockingConnection(), group: 'admin.audit', stream: STREAMS.game, handlers: audit }),
    ];
  },
};

export const startAdminWorker = (config: WorkerConfig) => startWorker(adminWorker, config);
