import { TokenService } from '@rgb/auth';
import { createPrismaClient } from '@rgb/db';
import type { z } from 'zod';
import { agentCallerEnv, baseEnv, baseLocalDefaults, ConfigError, databaseEnv, listenEnv, loadConfig, loginThrottleEnv } from './config';
import { Doorbell } from './doorbell';
import { createLogger } from './logger';
import { Metrics } from './metrics';
import { createRequestRedis, redisReady, SessionRevocations } from './session-revocations';
import { closeOnSignal } from './shutdown';
import { createSubgraphServer, type RunningServer, type ServiceDeps, type SubgraphDefinition } from './subgraph-server';

export const subgraphEnv = (defaultPort: number) => baseEnv.extend({ ...databaseEnv, ...loginThrottleEnv, ...agentCallerEnv, ...listenEnv(defaultPort, 'api') });
export type SubgraphConfig = z.infer<ReturnType<typeof subgraphEnv>>;

export function loadSubgraphConfig(defaultPort: number, env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  return loadConfig(subgraphEnv(defaultPort), { env, localDefaults: baseLocalDefaults });
}

/**
 * Builds the shared dependencies of a service process from its config. Its Prisma client rings
 * the doorbells of the workers its commits give work to (Doorbell.of), on its Redis client.
 */
export function createServiceDeps(name: string, config: SubgraphConfig): ServiceDeps {
  const userTokens = new TokenService({ secret: config.AUTH_JWT_SECRET });
  const redis = createRequestRedis(config.REDIS_URL);
  const log = createLogger(name, config.LOG_LEVEL);
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const prisma = createPrismaClient({
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    applicationName: name,
    onConnectionError: (error) => log.warn({ err: error }, 'database connection error'),
  });
  Doorbell.attach(prisma, new Doorbell(redis, log));
  return {
    config,
    log,
    metrics: new Metrics(name, { processMetrics: config.PROCESS_METRICS }),
    prisma,
    userTokens,
    serviceTokens: new TokenService({ secret: config.INTERNAL_JWT_SECRET }),
    redis,
    revocations: new SessionRevocations(redis, userTokens.accessTokenTtlSeconds),
  };
}

/** Closes what createServiceDeps opened. */
export async function closeServiceDeps(deps: ServiceDeps): Promise<void> {
  await deps.prisma.$disconnect();
  await deps.redis.quit().catch(() => deps.redis.disconnect());
}

export interface StartedSubgraph extends RunningServer {
  url: string;
  metricsUrl: string;
  deps: ServiceDeps;
}

/** Builds, starts and returns a subgraph; `close()` drains HTTP and closes Prisma and Redis. */
export async function startSubgraph<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  config: SubgraphConfig,
): Promise<StartedSubgraph> {
  const deps = createServiceDeps(definition.name, config);
  // A start that fails (a port taken, a catalogue that cannot load) closes what it opened, so a
  // launcher hosting other services in this process stops clean.
  const server = await createSubgraphServer(definition, deps).catch(async (error: unknown) => {
    await closeServiceDeps(deps);
    throw error;
  });
  // Requests that need Redis (logout's revocation...) fail fast until it is connected: connect
  // first. A Redis that is down does not stop the start; those requests report it meanwhile.
  await redisReady(deps.redis).catch((error: unknown) => deps.log.error({ err: error }, 'redis is not reachable yet'));
  const url = await server.listen().catch(async (error: unknown) => {
    await server.close();
    await closeServiceDeps(deps);
    throw error;
  });
  const metricsUrl = server.metricsApp.listeningOrigin;
  deps.log.info({ url, metricsUrl, listeners: server.listenerUrls }, `${definition.name} subgraph listening`);
  return {
    ...server,
    url,
    metricsUrl,
    deps,
    async close() {
      await server.close();
      await closeServiceDeps(deps);
    },
  };
}

/**
 * The whole of an entry file: run `start`, print a one-line reason and exit 1 if it fails,
 * and close what it started on SIGINT/SIGTERM.
 */
export function runMain(name: string, start: () => Promise<{ close(): Promise<void>; deps?: { log: ServiceDeps['log'] } }>): void {
  start().then(
    (running) => closeOnSignal(running.deps?.log ?? createLogger(name, 'info'), () => running.close()),
    (error: unknown) => {
      const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`${name}: failed to start: ${message}\n`);
      process.exit(1);
    },
  );
}
