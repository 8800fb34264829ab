import { defineApi, defineDomain, defineWorker, loadWorkerConfig, type ListenerManifest } from '@rgb/kit';

/** The provider callbacks, apart from the API: the router passes `/callbacks/*` here. */
export const callbackListener: ListenerManifest = { name: 'callback', port: 8112, hostEnv: 'CALLBACK_HOST', portEnv: 'CALLBACK_PORT' };

const api = defineApi({
  name: 'game',
  port: 8012,
  listeners: [callbackListener],
  schema: 'subgraphs/game/schema.graphql',
  entry: 'subgraphs/game/src/main.ts',
  start: async (env) => {
    const { loadGameConfig, start } = await import('./index');
    return start(loadGameConfig(env));
  },
});

const worker = defineWorker({
  name: 'game_worker',
  port: 9012,
  entry: 'subgraphs/game/src/worker-main.ts',
  start: async (env) => (await import('./worker')).startGameWorker(loadWorkerConfig(worker.port, env)),
});

/**
 * game: providers, games and rounds, and on a listener of its own the provider callbacks; its
 * worker publishes the game outbox (the staff actions on the shared catalogue).
 */
export const gameDomain = defineDomain({ name: 'game', api, worker, produces: 'game', outbox: 'game.outbox', consumes: [] });
