import { defineApi, defineDomain, defineWorker, loadSubgraphConfig, loadWorkerConfig } from '@rgb/kit';

const api = defineApi({
  name: 'player',
  port: 8010,
  schema: 'subgraphs/player/schema.graphql',
  entry: 'subgraphs/player/src/main.ts',
  start: async (env) => (await import('./index')).start(loadSubgraphConfig(api.port, env)),
});

const worker = defineWorker({
  name: 'player_worker',
  port: 9010,
  entry: 'subgraphs/player/src/worker-main.ts',
  start: async (env) => (await import('./worker')).startPlayerWorker(loadWorkerConfig(worker.port, env)),
});

/** player: players, credentials, sessions, blocks, the inbox, the public content and translations; its worker publishes the player outbox. */
export const playerDomain = defineDomain({
  name: 'player',
  api,
  worker,
  produces: 'player',
  outbox: 'player.outbox',
  consumes: [],
});
