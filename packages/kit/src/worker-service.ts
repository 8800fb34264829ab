import { z } from 'zod';
import type { Redis } from 'ioredis';
import { baseLocalDefaults, listenEnv, loadConfig } from './config';
import { answerDoorbells } from './doorbell';
import { createMetricsApp } from './http-app';
import { closeServiceDeps, createServiceDeps, subgraphEnv } from './service';
import { createRequestRedis, redisReady } from './session-revocations';
import type { ServiceDeps } from './subgraph-server';
import { JOB_DEFAULTS, type ScheduledJob } from './scheduled-jobs';
import { createWorker, type Worker, type WorkerLoop } from './worker';

export const workerEnv = (defaultPort: number) =>
  subgraphEnv(defaultPort).extend({
    ...listenEnv(defaultPort, 'worker'),
    /** Written every few seconds with the worker's health, for supervisors without HTTP checks. */
    HEARTBEAT_FILE: z.string().optional(),
    ENABLE_OUTBOX_POLLER: z.stringbool().default(true),
    /** A scheduled job's claim: a replica that dies mid-run has its job taken over once this expires. */
    JOB_LEASE_MS: z.coerce.number().int().min(100).default(JOB_DEFAULTS.leaseMs),
    /** How often each replica tries to claim its due jobs and reads their shared state. */
    JOB_POLL_MS: z.coerce.number().int().positive().default(JOB_DEFAULTS.pollMs),
  });
export type WorkerConfig = z.infer<ReturnType<typeof workerEnv>>;

export function loadWorkerConfig(defaultPort: number, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfig(workerEnv(defaultPort), { env, localDefaults: baseLocalDefaults });
}

export interface WorkerDeps extends ServiceDeps {
  config: WorkerConfig;
  /**
   * A new connection for one blocking reader (XREADGROUP BLOCK): readers sharing a connection
   * would each wait out the others' blocks. Closed with the worker.
   */
  blockingRedis(): Redis;
  /** Closes `resource` with the worker, once its loops have stopped (clients of other services, caches); returns it. */
  closeWith<T extends { close(): Promise<void> }>(resource: T): T;
}

export interface WorkerDefinition {
  name: string;
  /** May start what the loops need first (a catalogue to load), registered with `deps.closeWith`. */
  loops(deps: WorkerDeps): WorkerLoop[] | Promise<WorkerLoop[]>;
  jobs?(deps: WorkerDeps): ScheduledJob[];
}

export interface StartedWorker {
  worker: Worker;
  url: string;
  metricsUrl: string;
  deps: WorkerDeps;
  close(): Promise<void>;
}

/** Builds a worker process: its loops and jobs, /health on PORT, /metrics on METRICS_PORT, the heartbeat file. */
export async function startWorker(definition: WorkerDefinition, config: WorkerConfig): Promise<StartedWorker> {
  const base = createServiceDeps(definition.name, config);
  const blockingConnections: Redis[] = [];
  const blockingRedis = () => {
    const connection = createRequestRedis(config.REDIS_URL, { blockingMs: 5_000 });
    connection.on('error', (error) => base.log.warn({ err: error }, 'redis connection error'));
    blockingConnections.push(connection);
    return connection;
  };
  const resources: { close(): Promise<void> }[] = [];
  const closeWith = <T extends { close(): Promise<void> }>(resource: T): T => {
    resources.push(resource);
    return resource;
  };
  const closeResources = async () => {
    for (const resource of resources.reverse()) await resource.close();
  };
  const deps: WorkerDeps = { ...base, config, blockingRedis, closeWith };
  const loops = await Promise.resolve(definition.loops(deps)).catch(async (error: unknown) => {
    await closeResources();
    for (const connection of blockingConnections) connection.disconnect();
    await closeServiceDeps(deps);
    throw error;
  });
  const worker = createWorker({
    name: definition.name,
    log: deps.log,
    metrics: deps.metrics,
    loops,
    jobs: definition.jobs?.(deps),
    prisma: deps.prisma,
    jobLeaseMs: config.JOB_LEASE_MS,
    jobPollMs: config.JOB_POLL_MS,
    checks: { database: async () => void (await deps.prisma.$queryRaw`SELECT 1`) },
    heartbeatFile: config.HEARTBEAT_FILE,
  });
  const metricsApp = createMetricsApp(deps.metrics, deps.log);
  const metricsUrl = await metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
  const url = await worker.app.listen({ port: config.PORT, host: config.HOST });
  // Loops start once Redis answers; a Redis that is down at start shows in health like any outage.
  await Promise.all([deps.redis, ...blockingConnections].map((connection) => redisReady(connection))).catch((error: unknown) =>
    deps.log.error({ err: error }, 'redis is not reachable yet; the loops will retry'),
  );
  worker.start();
  const wakeChannels = [...new Set(loops.flatMap((loop) => (loop.wakeChannel ? [loop.wakeChannel] : [])))];
  const doorbells = wakeChannels.length > 0 ? answerDoorbells(config.REDIS_URL, wakeChannels, deps.log, (channel) => worker.wake(channel)) : null;
  return {
    worker,
    url,
    metricsUrl,
    deps,
    async close() {
      await doorbells?.close();
      await worker.stop();
      await metricsApp.close();
      await closeResources();
      for (const connection of blockingConnections) connection.disconnect();
      await closeServiceDeps(deps);
    },
  };
}
