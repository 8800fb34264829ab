import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { Gauge } from 'prom-client';
import { walletDomain } from './domain';
import { findLedgerMismatches, LedgerMismatchError, lastRunMismatches } from './reconciliation';

const HOUR_MS = 3_600_000;
export const RECONCILIATION_JOB = 'wallet.ledger_reconciliation';

/**
 * wallet_worker: publishes the wallet outbox, and checks every hour that every balance is the sum
 * of its ledger (once an hour whatever the number of replicas: scheduled jobs are claimed in PostgreSQL).
 */
export const walletWorker: WorkerDefinition = {
  name: walletDomain.worker.name,
  loops: ({ config, prisma, redis, metrics }) =>
    config.ENABLE_OUTBOX_POLLER ? [new OutboxPublisher({ prisma, redis, metrics, table: walletDomain.outbox, stream: STREAMS[walletDomain.produces] })] : [],
  jobs: ({ prisma, metrics, log }) => {
    const mismatches = new Gauge({
      name: 'wallet_ledger_mismatches',
      help: 'Accounts whose balance differed from the sum of their ledger at the last reconciliation, whichever replica ran it',
      registers: [metrics.registry],
    });
    return [
      {
        name: RECONCILIATION_JOB,
        intervalMs: HOUR_MS,
        async run() {
          const found = await findLedgerMismatches(prisma);
          if (found.length > 0) {
            log.error({ accounts: found }, 'ledger reconciliation found balances that differ from the ledger');
            throw new LedgerMismatchError(found);
          }
          log.info('ledger reconciliation: every balance equals its ledger');
        },
        // From the job's shared row, read every poll: every replica reports the last run's result,
        // whoever ran it, and a restarted one as soon as it has polled.
        observe(outcome) {
          const count = lastRunMismatches(outcome);
          if (count !== null) mismatches.set(count);
        },
      },
    ];
  },
};

export const startWalletWorker = (config: WorkerConfig) => startWorker(walletWorker, config);
