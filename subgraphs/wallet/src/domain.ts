import { defineApi, defineDomain, defineWorker, loadWorkerConfig } from '@rgb/kit';

const api = defineApi({
  name: 'wallet',
  port: 8011,
  schema: 'subgraphs/wallet/schema.graphql',
  entry: 'subgraphs/wallet/src/main.ts',
  start: async (env) => {
    const { loadWalletConfig, start } = await import('./index');
    return start(loadWalletConfig(env));
  },
});

const worker = defineWorker({
  name: 'wallet_worker',
  port: 9011,
  entry: 'subgraphs/wallet/src/worker-main.ts',
  start: async (env) => (await import('./worker')).startWalletWorker(loadWorkerConfig(worker.port, env)),
});

/** wallet: accounts, ledger, deposits and withdrawals; its worker publishes the wallet outbox and reconciles. */
export const walletDomain = defineDomain({
  name: 'wallet',
  api,
  worker,
  produces: 'wallet',
  outbox: 'wallet.outbox',
  consumes: [],
});
