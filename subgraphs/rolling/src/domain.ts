import { defineApi, defineDomain, defineWorker } from '@rgb/kit';

const api = defineApi({
  name: 'rolling',
  port: 8013,
  schema: 'subgraphs/rolling/schema.graphql',
  entry: 'subgraphs/rolling/src/main.ts',
  start: async (env) => {
    const { loadRollingConfig, start } = await import('./index');
    return start(loadRollingConfig(env));
  },
});

const worker = defineWorker({
  name: 'rolling_worker',
  port: 9013,
  entry: 'subgraphs/rolling/src/worker-main.ts',
  start: async (env) => {
    const { loadRollingWorkerConfig, startRollingWorker } = await import('./worker');
    return startRollingWorker(loadRollingWorkerConfig(env));
  },
});

/**
 * rolling: wagering requirements on deposits and promotion credits, filled by the wallet's bet
 * events; its worker consumes the wallet stream, publishes the rolling outbox, expires
 * requirements and tells the wallet of completions.
 */
export const rollingDomain = defineDomain({
  name: 'rolling',
  api,
  worker,
  produces: 'rolling',
  outbox: 'rolling.outbox',
  consumes: ['wallet'],
  inbox: 'rolling.inbox',
});
