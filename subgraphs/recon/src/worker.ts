import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher } from '@rgb/events';
import { BrandCatalog, ServiceClient, startWorker, type WorkerDefinition, type WorkerLoop } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { loadReconWorkerConfig, type ReconWorkerConfig } from './config';
import { RECON_DOORBELL, reconDomain } from './domain';
import { type ProcessingOptions, processDueMessages, retryDueApprovals, type Turn } from './processing/messages';
import { pushbulletStream } from './pushbullet';

export { loadReconWorkerConfig };

/** A match the wallet has not answered for this long turns recon_worker unhealthy: its deposit waits, credited to nobody. */
export const STUCK_APPROVAL_MS = 10 * 60_000;

/**
 * recon_worker: reads each stored bank text, matches deposits to pending requests and has the
 * wallet approve them (retrying until it answers), sends the rest to review; holds Pushbullet's
 * stream open when a token is configured; publishes the recon outbox.
 */
export function reconWorker(config: ReconWorkerConfig): WorkerDefinition {
  return {
    name: reconDomain.worker.name,
    async loops({ prisma, redis, metrics, log, serviceTokens, closeWith }) {
      const brands = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'recon_worker', tokens: serviceTokens, log });
      closeWith({ close: () => brands.stop() });
      await brands.start();
      const wallet = closeWith(new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName: 'recon_worker' }));
      const processing: ProcessingOptions = {
        prisma,
        wallet,
        log,
        brandOf: (brandId) => brands.byId(brandId),
        windowMinutes: config.RECON_MATCH_WINDOW_MINUTES,
        waitForRequestMs: config.RECON_WAIT_FOR_REQUEST_MS,
        retryMs: config.RECON_RETRY_MS,
      };
      const outcomes = new Counter({
        name: 'recon_messages_processed_total',
        help: 'Turns of bank texts by outcome: the status a turn left a text in (IGNORED, REVIEW, DUPLICATE, WAITING, MATCHED, APPROVED), or FAULT when the wallet did not answer',
        labelNames: ['outcome'],
        registers: [metrics.registry],
      });
      new Gauge({
        name: 'recon_match_oldest_approving_seconds',
        help: 'Age of the oldest match the wallet has not approved yet (0 with none): one never answered stays APPROVING',
        registers: [metrics.registry],
        collect: async function () {
          const [oldest] = await prisma.$queryRaw<{ seconds: number }[]>`
            SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS seconds FROM recon.match WHERE status = 'APPROVING'`;
          this.set(oldest?.seconds ?? 0);
        },
      });
      new Gauge({
        name: 'recon_messages',
        help: 'Bank texts waiting, by status: WAITING for their deposit request, REVIEW for staff',
        labelNames: ['status'],
        registers: [metrics.registry],
        collect: async function () {
          for (const status of ['WAITING', 'REVIEW'] as const) this.set({ status }, await prisma.reconMessage.count({ where: { status } }));
        },
      });
      const counted = (turn: Turn) => {
        for (const outcome of turn.outcomes) outcomes.inc({ outcome });
        return { worked: turn.outcomes.length, pending: turn.pending };
      };
      let stuck: { id: string; messageId: string; attempts: number; lastError: string | null }[] = [];
      const loops: WorkerLoop[] = [
        {
          name: 'bank texts -> parse, match, wallet approval',
          wakeChannel: RECON_DOORBELL,
          idleDelayMs: 1_000,
          tick: async () => counted(await processDueMessages(processing)),
        },
        {
          name: 'unanswered approvals -> wallet',
          idleDelayMs: 1_000,
          tick: async () => counted(await retryDueApprovals(processing)),
        },
        {
          // Apart from the loop above, which keeps its pace: this one fails, and the worker is unhealthy, while a match waits too long.
          name: `matches APPROVING for over ${STUCK_APPROVAL_MS / 60_000} min`,
          idleDelayMs: 5_000,
          async tick() {
            const rows = await prisma.reconMatch.findMany({
              where: { status: 'APPROVING', createdAt: { lt: new Date(Date.now() - STUCK_APPROVAL_MS) } },
              orderBy: { createdAt: 'asc' },
              take: 10,
            });
            stuck = rows.map((match) => ({ id: match.id, messageId: match.messageId, attempts: match.attempts, lastError: match.lastError }));
            if (stuck.length > 0) throw new Error(`matches APPROVING for over ${STUCK_APPROVAL_MS / 60_000} min: ${stuck.map((match) => `${match.id} (${match.lastError})`).join(', ')}`);
            return { worked: 0, pending: false };
          },
          describe: () => ({ stuckApprovals: stuck }),
        },
      ];
      const pushbullet = pushbulletStream(config, { prisma, log, metrics });
      if (pushbullet) loops.push(closeWith(pushbullet));
      if (config.ENABLE_OUTBOX_POLLER) {
        loops.push(new OutboxPublisher({ prisma, redis, metrics, table: reconDomain.outbox, stream: STREAMS[reconDomain.produces] }));
      }
      return loops;
    },
  };
}

export const startReconWorker = (config: ReconWorkerConfig) => startWorker(reconWorker(config), config);
