import { defineApi, defineDomain, defineWorker, type ListenerManifest } from '@rgb/kit';

/** The bank-text webhooks (SMS, Telegram), apart from the API: the router passes `/webhooks/*` here. */
export const webhookListener: ListenerManifest = { name: 'webhook', port: 8117, hostEnv: 'WEBHOOK_HOST', portEnv: 'WEBHOOK_PORT' };

/** Rung after a text is stored (or a request may now match a waiting one): recon_worker wakes at once instead of at its next poll. */
export const RECON_DOORBELL = 'rgb:recon:doorbell';

const api = defineApi({
  name: 'recon',
  port: 8017,
  listeners: [webhookListener],
  schema: 'subgraphs/recon/schema.graphql',
  entry: 'subgraphs/recon/src/main.ts',
  start: async (env) => {
    const { loadReconConfig, start } = await import('./index');
    return start(loadReconConfig(env));
  },
});

const worker = defineWorker({
  name: 'recon_worker',
  port: 9017,
  entry: 'subgraphs/recon/src/worker-main.ts',
  start: async (env) => {
    const { loadReconWorkerConfig, startReconWorker } = await import('./worker');
    return startReconWorker(loadReconWorkerConfig(env));
  },
});

/**
 * recon: bank texts (SMS, app pushes, Telegram) stored as they arrive, read by the parsers, and
 * matched to pending deposit requests, which the wallet approves; what matches nothing waits for
 * staff. It never writes a balance. Its worker processes the texts, holds the Pushbullet stream
 * open, and publishes the recon outbox (review queue changes, staff actions).
 */
export const reconDomain = defineDomain({ name: 'recon', api, worker, produces: 'recon', outbox: 'recon.outbox', consumes: [] });
