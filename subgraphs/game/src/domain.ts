import { defineApi, defineDomain, type ListenerManifest } from '@rgb/kit';

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

/** game: providers, games and rounds, and on a listener of its own the provider callbacks. No worker. */
export const gameDomain = defineDomain({ name: 'game', api, consumes: [] });
