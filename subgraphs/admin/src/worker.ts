import { type Envelope, STREAMS } from '@rgb/contracts';
import { StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { recordStaffActionEvent } from './audit';
import { dailyFiguresJob, playerFigureHandlers, walletFigureHandlers } from './daily-figures';
import { adminDomain } from './domain';
import { staleRequestsJob } from './stale-requests';
import { countRegistration, notifyTopInfo, pendingRequestHandlers, reconReviewHandlers } from './top-info';

/**
 * admin_worker: projects the other domains' events into the live top-info (pending requests, new
 * players, the reconciliation review queue), the daily figures' events and the audit log; every
 * minute it checks for stale pending requests, every hour it rolls the daily figures up (each once
 * per window whatever the number of replicas).
 */
export const adminWorker: WorkerDefinition = {
  name: adminDomain.worker.name,
  loops: ({ prisma, redis, blockingRedis, metrics, log }) => {
    // Each consumer blocks on a connection of its own (blockingRedis()): on a shared one their reads would take turns.
    const shared = () => ({ inbox: adminDomain.inbox, prisma, redis, blockingRedis: blockingRedis(), metrics, log });
    const topInfo = { group: 'admin.top-info', afterCommit: (events: Envelope[]) => notifyTopInfo(redis, events.map((event) => event.brand_id)) };
    const audit = { STAFF_ACTION_RECORDED: recordStaffActionEvent };
    return [
      new StreamConsumer({ ...shared(), ...topInfo, stream: STREAMS.player, handlers: { PLAYER_REGISTERED: countRegistration } }),
      new StreamConsumer({ ...shared(), ...topInfo, stream: STREAMS.wallet, handlers: pendingRequestHandlers }),
      new StreamConsumer({ ...shared(), ...topInfo, stream: STREAMS.recon, handlers: reconReviewHandlers }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.player, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.wallet, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.game, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.rolling, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.promotion, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.agent, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.audit', stream: STREAMS.recon, handlers: audit }),
      new StreamConsumer({ ...shared(), group: 'admin.daily-figures', stream: STREAMS.wallet, handlers: walletFigureHandlers }),
      new StreamConsumer({ ...shared(), group: 'admin.daily-figures', stream: STREAMS.player, handlers: playerFigureHandlers }),
    ];
  },
  jobs: (deps) => [staleRequestsJob(deps), dailyFiguresJob(deps)],
};

export const startAdminWorker = (config: WorkerConfig) => startWorker(adminWorker, config);
