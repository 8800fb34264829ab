import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';

export const WORKER_DEFAULT_PORT = 9010;

/** player_worker: publishes the player outbox to rgb:stream:player (the API never publishes). */
export const playerWorker: WorkerDefinition = {
  name: 'player_worker',
  loops: ({ config, prisma, redis, metrics }) =>
    config.ENABLE_OUTBOX_POLLER ? [new OutboxPublisher({ prisma, redis, metrics, table: 'player.outbox', stream: STREAMS.player })] : [],
};

export const startPlayerWorker = (config: WorkerConfig) => startWorker(playerWorker, config);
