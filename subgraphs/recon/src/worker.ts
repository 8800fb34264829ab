import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { startWorker, type WorkerDefinition, type WorkerLoop } from '@rgb/kit';
import { loadReconWorkerConfig, type ReconWorkerConfig } from './config';
import { reconDomain } from './domain';
import { pushbulletStream } from './pushbullet';

export { loadReconWorkerConfig };

/**
 * recon_worker: reads each stored bank text, matches deposits to pending requests and has the
 * wallet approve them (retrying until it answers), sends the rest to review; holds Pushbullet's
 * stream open when a token is configured; publishes the recon outbox.
 */
export function reconWorker(config: ReconWorkerConfig): WorkerDefinition {
  return {
    name: reconDomain.worker.name,
    loops({ prisma, redis, metrics, log, closeWith }) {
      const loops: WorkerLoop[] = [];
      const pushbullet = pushbulletStream(config, { prisma, log, metrics });
      if (pushbullet) loops.push(closeWith(pushbullet));
      if (config.ENABLE_OUTBOX_POLLER) {
        loops.push(new OutboxPublisher({ prisma, redis, metrics, table: reconDomain.outbox, stream: STREAMS[reconDomain.produces] }));
      }
      return loops;
    },
  };
}

export const startReconWorker = (config: ReconWorkerConfig) => startWorker(reconWorker(config), config);
