import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { playerDomain } from './domain';

/** player_worker: publishes the player outbox to rgb:stream:player (the API never publishes). */
export const playerWorker: WorkerDefinition = {
  name: playerDomain.worker.name,
  loops: ({ config, prisma, redis, metrics }) =>
    config.ENABLE_OUTBOX_POLLER ? [new OutboxPublisher({ prisma, redis, metrics, table: playerDomain.outbox, stream: STREAMS[playerDomain.produces] })] : [],
};

export const startPlayerWorker = (config: WorkerConfig) => startWorker(playerWorker, config);
