import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import type { PrismaClient } from '@rgb/db';
import { startWorker, type WorkerConfig, type WorkerDefinition } from '@rgb/kit';
import { Gauge } from 'prom-client';
import { walletDomain } from './domain';
import { findLedgerMismatches, LedgerMismatchError, ledgerMismatchesIn } from './reconciliation';

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
    // Read at each scrape from the job's shared row, so every replica reports the last run's
    // result whoever ran it, and a restarted replica does not forget it.
    new Gauge({
      name: 'wallet_ledger_mismatches',
      help: 'Accounts whose balance differed from the sum of their ledger at the last reconciliation, whichever replica ran it',
      registers: [metrics.registry],
      async collect() {
        try {
          const mismatches = await lastReconciliationMismatches(prisma);
          if (mismatches !== null) this.set(mismatches);
        } catch (error) {
          log.error({ err: error }, 'wallet_ledger_mismatches: reading the last reconciliation failed; the gauge keeps its last value');
        }
      },
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
      },
    ];
  },
};

/**
 * The mismatches the latest reconciliation recorded in its platform.scheduled_job row: 0 after a
 * success (a run succeeds only when it finds none), the count its error names after a failure.
 * Null when that is unknown: no run yet, or the latest failed for another reason (the database).
 */
async function lastReconciliationMismatches(prisma: PrismaClient): Promise<number | null> {
  const [job] = await prisma.$queryRaw<{ lastSuccessAt: Date | null; lastErrorAt: Date | null; lastError: string | null }[]>`
    SELECT last_success_at AS "lastSuccessAt", last_error_at AS "lastErrorAt", last_error AS "lastError"
    FROM platform.scheduled_job WHERE name = ${RECONCILIATION_JOB}`;
  if (!job) return null;
  const failedLast = job.lastErrorAt !== null && (job.lastSuccessAt === null || job.lastErrorAt > job.lastSuccessAt);
  if (failedLast) return ledgerMismatchesIn(job.lastError ?? '');
  return job.lastSuccessAt === null ? null : 0;
}

export const startWalletWorker = (config: WorkerConfig) => startWorker(walletWorker, config);
