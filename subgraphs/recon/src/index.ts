import { repositoryPath, ServiceClient, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import type { ReconConfig } from './config';
import { reconDomain, webhookListener } from './domain';
import { createWebhookServer } from './ingest/server';
import { createLoaders, type ReconLoaders } from './loaders';
import { resolvers } from './resolvers';

export { loadReconConfig, type ReconConfig } from './config';

export interface ReconServices {
  /** Approves the deposit requests staff match texts to by hand. */
  wallet: ServiceClient;
}

/** The recon subgraph (staff's view of the bank texts and their review queue) and, on a listener of its own, the bank-text webhooks. */
export function reconSubgraph(config: ReconConfig): SubgraphDefinition<ReconLoaders, ReconServices> {
  return {
    name: reconDomain.api.name,
    schemaPath: repositoryPath(reconDomain.api.schema),
    resolvers,
    createLoaders,
    createServices: ({ serviceTokens }) => ({ wallet: new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName: 'recon' }) }),
    closeServices: ({ wallet }) => wallet.close(),
    listeners: ({ prisma, serviceTokens, metrics, log }) => {
      const webhooks = createWebhookServer({
        prisma,
        serviceTokens,
        metrics,
        log,
        smsSecret: config.RECON_SMS_SECRET,
        telegramSecret: config.RECON_TELEGRAM_SECRET,
        maxBodyBytes: config.WEBHOOK_MAX_BYTES,
      });
      return [{ name: webhookListener.name, listen: () => webhooks.listen({ host: config.WEBHOOK_HOST, port: config.WEBHOOK_PORT }), close: () => webhooks.close() }];
    },
  };
}

export const start = (config: ReconConfig) => startSubgraph(reconSubgraph(config), config);
export { reconWorker } from './worker';
