import { defineApi, defineDomain, defineWorker, loadSubgraphConfig, loadWorkerConfig } from '@rgb/kit';

const api = defineApi({
  name: 'admin',
  port: 8016,
  schema: 'subgraphs/admin/schema.graphql',
  entry: 'subgraphs/admin/src/main.ts',
  start: async (env) => (await import('./index')).start(loadSubgraphConfig(api.port, env)),
});

const worker = defineWorker({
  name: 'admin_worker',
  port: 9016,
  entry: 'subgraphs/admin/src/worker-main.ts',
  start: async (env) => (await import('./worker')).startAdminWorker(loadWorkerConfig(worker.port, env)),
});

/** admin: brands, domains, staff and the audit log; its worker projects the other domains' events (top-info, staff actions). */
export const adminDomain = defineDomain({
  name: 'admin',
  api,
  worker,
  consumes: ['player', 'wallet', 'game', 'rolling', 'promotion', 'agent', 'recon'],
  inbox: 'admin.inbox',
});
