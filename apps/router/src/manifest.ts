import { defineProcess, type ProcessManifest } from '@rgb/kit';

/** The router: not a domain, but launched like one, after the subgraphs it composes. */
export const routerProcess: ProcessManifest = defineProcess({
  name: 'router',
  kind: 'router',
  port: 8080,
  entry: 'apps/router/src/main.ts',
  start: async (env) => {
    const { loadRouterConfig, start } = await import('./index');
    return start(loadRouterConfig(env), env);
  },
});
