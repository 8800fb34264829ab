import { createPrismaClient } from '@rgb/db';
import { createLogger, createMetricsApp, createRequestRedis, createWorker, GcraLimiter, type Logger, Metrics, redisReady } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';
import type { RgsConfig } from './config';
import { EventMetrics, RgsMetrics } from './metrics';
import { rgsProcess } from './manifest';
import { eventRetentionJob } from './retention';
import type { Clock } from './responsible-gaming';
import { registerRoutes } from './routes';
import { SecretBox } from './secrets';
import { Settlements } from './settlement';
import { EventStreams } from './stream';
import { PlatformWallet } from './wallet';
import { WebhookDeliveries } from './webhooks';

export { loadRgsConfig, rgsEnv, type RgsConfig } from './config';

export interface Rgs {
  app: FastifyInstance;
  metricsApp: FastifyInstance;
  log: Logger;
  /** Opens the metrics listener and the API, then starts the loops (settlements, webhooks) and the event retention job; resolves with the API's URL. */
  listen(): Promise<string>;
  /**
   * Drains HTTP (requests in flight finish, streams end), stops the loops after their turn and the
   * webhook lanes after their attempt in flight, then closes the clients.
   */
  close(): Promise<void>;
}

/** Settlements claimed per turn of the loop. */
const SETTLEMENT_BATCH = 32;
/** Operators' webhook lanes one instance runs at once. */
const WEBHOOK_LANES = 32;

/**
 * The remote gaming server as a library: the operator API on the kit's HTTP shell, its
 * settlement loop run by the kit's worker (so /health says whether the loop makes progress), and
 * /metrics on a listener of its own.
 */
export function createRgs(config: RgsConfig, log: Logger = createLogger(rgsProcess.name, config.LOG_LEVEL), { clock = () => new Date() }: { clock?: Clock } = {}): Rgs {
  const metrics = new Metrics(rgsProcess.name, { processMetrics: config.PROCESS_METRICS });
  const prisma = createPrismaClient({
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    applicationName: rgsProcess.name,
    onConnectionError: (error) => log.warn({ err: error }, 'database connection error'),
  });
  const redis = createRequestRedis(config.REDIS_URL);
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const box = new SecretBox(config.RGS_SECRETS_KEY);
  const wallet = new PlatformWallet({
    box,
    log,
    connectTimeoutMs: config.RGS_WALLET_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: config.RGS_WALLET_RESPONSE_TIMEOUT_MS,
  });
  const policy = {
    leaseMs: config.RGS_SETTLEMENT_LEASE_MS,
    retryMs: config.RGS_SETTLEMENT_RETRY_MS,
    maxRetryMs: config.RGS_SETTLEMENT_MAX_RETRY_MS,
    maxAttempts: config.RGS_SETTLEMENT_MAX_ATTEMPTS,
    batchSize: SETTLEMENT_BATCH,
  };
  // The gauges read the open settlements from the table on each scrape.
  const rgsMetrics: RgsMetrics = new RgsMetrics(metrics, () => settlements.open());
  const settlements: Settlements = new Settlements({ prisma, wallet, log, metrics: rgsMetrics, policy });
  const eventMetrics: EventMetrics = new EventMetrics(metrics, () => webhooks.backlog(), () => streams.open);
  const webhooks: WebhookDeliveries = new WebhookDeliveries({
    prisma,
    box,
    log,
    metrics: eventMetrics,
    policy: {
      connectTimeoutMs: config.RGS_WEBHOOK_CONNECT_TIMEOUT_MS,
      responseTimeoutMs: config.RGS_WEBHOOK_RESPONSE_TIMEOUT_MS,
      leaseMs: config.RGS_WEBHOOK_LEASE_MS,
      retryMs: config.RGS_WEBHOOK_RETRY_MS,
      maxRetryMs: config.RGS_WEBHOOK_MAX_RETRY_MS,
      maxAttempts: config.RGS_WEBHOOK_MAX_ATTEMPTS,
      maxLanes: WEBHOOK_LANES,
    },
  });
  const streams: EventStreams = new EventStreams({
    prisma,
    log,
    metrics: eventMetrics,
    policy: {
      pollMs: config.RGS_STREAM_POLL_MS,
      heartbeatMs: config.RGS_STREAM_HEARTBEAT_MS,
      bufferBytes: config.RGS_STREAM_BUFFER_BYTES,
      slowClientMs: config.RGS_STREAM_SLOW_CLIENT_MS,
    },
  });
  const worker = createWorker({
    name: rgsProcess.name,
    log,
    metrics,
    loops: [
      { name: 'settlements', tick: () => settlements.tick(), idleDelayMs: config.RGS_SETTLEMENT_POLL_MS },
      // Lanes run apart from the turns: a turn that set some running waits a poll before claiming more.
      { name: 'webhooks', tick: () => webhooks.tick(), idleDelayMs: config.RGS_WEBHOOK_POLL_MS, lingerMs: config.RGS_WEBHOOK_POLL_MS },
    ],
    jobs: [eventRetentionJob({ prisma, log, retentionDays: config.RGS_EVENT_RETENTION_DAYS })],
    prisma,
    checks: {
      database: async () => void (await prisma.$queryRaw`SELECT 1`),
      // A settlement given up is money a player is owed or owes back: loud until a person resolves it.
      settlements: async () => {
        const { failed } = await settlements.open();
        if (failed > 0) throw new Error(`${failed} settlement(s) failed after ${policy.maxAttempts} attempts and need a person (rgs.settlement_outbox)`);
      },
    },
    // Not for readiness (nor, as for every worker, its loops' and jobs' progress): a failed
    // settlement is shared by every replica, and taking them all out of traffic fixes none.
    informational: ['settlements'],
  });
  registerRoutes(worker.app, {
    prisma,
    box,
    wallet,
    settlements,
    metrics: rgsMetrics,
    log,
    leaseMs: policy.leaseMs,
    clock,
    ttlSeconds: config.RGS_SESSION_TTL_SECONDS,
    publicUrl: config.RGS_PUBLIC_URL,
    rateLimiter: new GcraLimiter(redis),
    ratePolicy: { perMinute: config.RGS_RATE_LIMIT_PER_MINUTE, burst: config.RGS_RATE_LIMIT_BURST },
    streams,
  });
  // Before the server waits for its connections to end: the streams would never end by themselves.
  worker.app.addHook('preClose', async () => streams.close());
  const metricsApp = createMetricsApp(metrics, log);
  const closeClients = async () => {
    await webhooks.stop();
    await wallet.close();
    await prisma.$disconnect();
    await redis.quit().catch(() => redis.disconnect());
  };
  return {
    app: worker.app,
    metricsApp,
    log,
    async listen() {
      try {
        await metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
        const url = await worker.app.listen({ port: config.PORT, host: config.HOST });
        await redisReady(redis).catch((error: unknown) => log.error({ err: error }, 'redis is not reachable yet: the rate limit lets requests through meanwhile'));
        worker.start();
        return url;
      } catch (error) {
        await worker.app.close();
        await metricsApp.close();
        await closeClients();
        throw error;
      }
    },
    async close() {
      await worker.app.close();
      await worker.stop();
      await metricsApp.close();
      await closeClients();
    },
  };
}

/** Starts the RGS as npm start and its entry file do; `close()` stops it cleanly. */
export async function start(config: RgsConfig) {
  const rgs = createRgs(config);
  const url = await rgs.listen();
  const metricsUrl = rgs.metricsApp.listeningOrigin;
  rgs.log.info({ url, metricsUrl }, 'rgs listening');
  return { url, metricsUrl, close: () => rgs.close(), deps: { log: rgs.log } };
}
