import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { gameDomain } from './domain';

/** game_worker: publishes the game outbox to rgb:stream:game (the API never publishes). */
export const gameWorker: WorkerDefinition = {
  name: gameDomain.worker.name,
  loops: ({ config, prisma, redis, metrics }) =>
    config.ENABLE_OUTBOX_POLLER ? [new OutboxPublisher({ prisma, redis, metrics, table: gameDomain.outbox, stream: STREAMS[gameDomain.produces] })] : [],
};

export const startGameWorker = (config: WorkerConfig) => startWorker(gameWorker, config);
