import { runMain } from '@rgb/kit';
import { loadRouterConfig, start } from './index';
import { routerProcess } from './manifest';

runMain(routerProcess.name, async () => {
  const router = await start(loadRouterConfig(process.env));
  // SIGHUP: compose supergraph.yaml again; a composition error is logged and the running supergraph stays.
  process.on('SIGHUP', () => {
    router.reloadSupergraph().catch((error: unknown) => router.app.log.error({ err: error }, 'supergraph reload failed'));
  });
  return router;
});
