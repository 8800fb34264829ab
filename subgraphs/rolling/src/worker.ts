import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, outboxDoorbell, StreamConsumer } from '@rgb/events';
import { BrandCatalog, BrandConfigs, ServiceClient, startWorker, type WorkerDefinition } from '@rgb/kit';
import { Gauge } from 'prom-client';
import { loadRollingWorkerConfig, type RollingWorkerConfig } from './config';
import { rollingDomain } from './domain';
import { expireDue, notifyCompletions } from './lifecycle';
import { requireForDeposit } from './requirements';
import { countSettledBet, takeBackRolledBackBet } from './turnover';

export { loadRollingWorkerConfig };

export const EXPIRY_JOB = 'rolling.expire';
/** The consumer group (and inbox consumer) that applies the wallet's events. */
export const TURNOVER_GROUP = 'rolling.turnover';
const MINUTE_MS = 60_000;

/**
 * rolling_worker: consumes the wallet stream (deposits make requirements, settled bets fill them,
 * rollbacks take back), publishes the rolling outbox, tells the wallet of completions (retrying
 * until it confirms) and expires requirements every minute (once whatever the number of replicas).
 */
export function rollingWorker(config: RollingWorkerConfig): WorkerDefinition {
  return {
    name: rollingDomain.worker.name,
    async loops({ prisma, redis, blockingRedis, metrics, log, serviceTokens, closeWith }) {
      const clientOptions = { adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'rolling_worker', tokens: serviceTokens, log };
      const configs = new BrandConfigs(clientOptions);
      closeWith({ close: () => configs.stop() });
      await configs.start();
      const brands = new BrandCatalog(clientOptions);
      closeWith({ close: () => brands.stop() });
      await brands.start();
      // Every brand's config read at start: an admin outage later leaves the consumer the last one read.
      await Promise.all(brands.all().map((brand) => configs.get(brand.id)));
      const wallet = closeWith(new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName: 'rolling_worker' }));

      const configOf = async (brandId: string) => {
        const brandConfig = await configs.get(brandId);
        if (!brandConfig) throw new Error(`brand ${brandId} has no config`);
        return brandConfig;
      };
      new Gauge({
        name: 'rolling_unconfirmed_completions',
        help: 'Completed requirements the wallet has not confirmed yet',
        registers: [metrics.registry],
        collect: async function () {
          this.set(await prisma.rolling.count({ where: { status: 'COMPLETED', walletConfirmedAt: null } }));
        },
      });
      const loops = [
        new StreamConsumer({
          group: TURNOVER_GROUP,
          stream: STREAMS.wallet,
          inbox: rollingDomain.inbox,
          prisma,
          redis,
          blockingRedis: blockingRedis(),
          metrics,
          log,
          handlers: {
            DEPOSIT_APPROVED: async (tx, event) => requireForDeposit(tx, await configOf(event.brand_id), event),
            BET_SETTLED_CONFIRMED: async (tx, event) => countSettledBet(tx, await configOf(event.brand_id), event),
            BET_ROLLED_BACK_CONFIRMED: takeBackRolledBackBet,
          },
        }),
        {
          name: 'completion notices -> wallet',
          // A completion writes ROLLING_COMPLETED into the outbox: its doorbell wakes this loop too.
          wakeChannel: outboxDoorbell(rollingDomain.outbox),
          idleDelayMs: 1_000,
          async tick() {
            const { confirmed, pending } = await notifyCompletions(prisma, wallet, {
              retryMs: config.COMPLETION_RETRY_MS,
              brandOf: (brandId) => brands.byId(brandId),
            });
            return { worked: confirmed, pending };
          },
        },
      ];
      if (config.ENABLE_OUTBOX_POLLER) {
        loops.push(new OutboxPublisher({ prisma, redis, metrics, table: rollingDomain.outbox, stream: STREAMS[rollingDomain.produces] }));
      }
      return loops;
    },
    jobs: ({ prisma, log }) => [
      {
        name: EXPIRY_JOB,
        intervalMs: MINUTE_MS,
        async run() {
          const expired = await expireDue(prisma);
          if (expired > 0) log.info({ expired }, 'requirements expired');
        },
      },
    ],
  };
}

export const startRollingWorker = (config: RollingWorkerConfig) => startWorker(rollingWorker(config), config);
