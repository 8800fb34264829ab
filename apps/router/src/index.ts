import type { RouterConfig } from './config';
import { createRouter } from './server';

export { loadRouterConfig, routerEnv, type RouterConfig } from './config';
export { createRouter, type Router } from './server';
export { composeSupergraph, readSupergraphConfig, CompositionError } from './supergraph';
export { legacyRoutes, type LegacyRoute } from './legacy/routes';

/**
 * Builds the router and listens; resolves with it running. `env` holds the SUBGRAPH_<NAME>_URL
 * overrides: the launcher's own environment, unless it hosts the router beside other services.
 */
export async function start(config: RouterConfig, env: NodeJS.ProcessEnv = process.env) {
  const router = await createRouter(config, env);
  const url = await router.listen();
  const metricsUrl = router.metricsApp.listeningOrigin;
  router.app.log.info({ url, metricsUrl }, 'router listening');
  return { ...router, url, metricsUrl, deps: { log: router.app.log as never } };
}
