import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { applyMigrations, createPrismaClient, ensureDatabase } from '@rgb/db';
import { seedDemoData, seedSecrets } from '../../../prisma/seed';
import { checkDependencies } from './dependencies';
import { checkPortsFree } from './ports';
import { DEFAULT_PORTS, SERVICES, type ServiceSpec } from './services';
import { DEFAULT_RESTART_POLICY, SupervisedProcess, type RestartPolicy, type SupervisionEvents } from './supervisor';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface PlatformOptions extends SupervisionEvents {
  databaseUrl: string;
  redisUrl: string;
  /** Extra environment for every process (secrets, MULTI_BRAND_ENFORCEMENT, LOG_LEVEL...). */
  env?: NodeJS.ProcessEnv;
  /** Port by name (`wallet`, `wallet.metrics`, `game.callback`: see DEFAULT_PORTS); CONTRACT.md's by default. */
  ports?: Partial<Record<string, number>>;
  /** How a process that crashed after it started is started again (DEFAULT_RESTART_POLICY). */
  restartPolicy?: Partial<RestartPolicy>;
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  /** Where its /metrics is served (METRICS_PORT). */
  readonly metricsUrl: string;
  /** The process of its current run: a new one after each restart. */
  readonly process: ChildProcess;
  /** How many times it was started again after a crash. */
  readonly restarts: number;
}

export interface RunningPlatform {
  services: RunningService[];
  routerUrl: string;
  stop(): Promise<void>;
}

/**
 * Checks that every port is free, migrates and seeds the database, then starts every subgraph,
 * worker and the router as separate processes, and keeps them running: one that crashes is
 * started again with backoff while the others keep serving.
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl };
  const ports = { ...DEFAULT_PORTS, ...options.ports } as Record<string, number>;
  const host = baseEnv.HOST || '127.0.0.1';
  const callbackHost = baseEnv.CALLBACK_HOST || '127.0.0.1';
  await checkPortsFree(
    Object.keys(DEFAULT_PORTS).map((name) => ({ name, host: name.endsWith('.callback') ? callbackHost : host, port: ports[name]! })),
  );
  await checkDependencies(options.databaseUrl, options.redisUrl);
  await ensureDatabase(options.databaseUrl);
  await applyMigrations({ databaseUrl: options.databaseUrl });
  const prisma = createPrismaClient({ databaseUrl: options.databaseUrl, poolSize: 2, applicationName: 'seed' });
  try {
    await seedDemoData(prisma, seedSecrets(baseEnv));
  } finally {
    await prisma.$disconnect();
  }

  const urlOf = (port: number) => `http://127.0.0.1:${port}`;
  const subgraphs = SERVICES.filter((spec) => spec.kind === 'subgraph');
  const serviceEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    // Where each service finds the others: <NAME>_URL for internal calls, SUBGRAPH_<NAME>_URL for the router.
    ...Object.fromEntries(subgraphs.map((spec) => [`${spec.name.toUpperCase()}_URL`, urlOf(ports[spec.name]!)])),
    ...Object.fromEntries(subgraphs.map((spec) => [`SUBGRAPH_${spec.name.toUpperCase()}_URL`, `${urlOf(ports[spec.name]!)}/graphql`])),
    CALLBACK_PORT: String(ports['game.callback']),
    GAME_CALLBACK_URL: urlOf(ports['game.callback']!),
    RGB_SUPERVISED: '1',
  };
  // PLATFORM_NODE_ARGS passes flags to every service's node (e.g. --cpu-prof to profile one run).
  const nodeArgs = baseEnv.PLATFORM_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };

  const running: { spec: ServiceSpec; service: RunningService; supervised: SupervisedProcess }[] = SERVICES.map((spec) => {
    const url = urlOf(ports[spec.name]!);
    const supervised = new SupervisedProcess(
      {
        name: spec.name,
        command: process.execPath,
        // The tracing register entry starts OpenTelemetry before the entry imports anything (a no-op without an exporter).
        args: [...nodeArgs, '--import', 'tsx', '--import', '@rgb/kit/tracing-register', spec.entry],
        cwd: ROOT,
        env: { ...serviceEnv, OTEL_SERVICE_NAME: spec.name, PORT: String(ports[spec.name]), METRICS_PORT: String(ports[`${spec.name}.metrics`]) },
        healthUrl: `${url}/health`,
      },
      options,
      policy,
    );
    const service: RunningService = {
      name: spec.name,
      url,
      metricsUrl: urlOf(ports[`${spec.name}.metrics`]!),
      get process() {
        return supervised.process;
      },
      get restarts() {
        return supervised.restarts;
      },
    };
    return { spec, service, supervised };
  });
  const isRouter = ({ spec }: { spec: ServiceSpec }) => spec.kind === 'router';

  // The router first, so no request reaches a subgraph that is already draining.
  const stop = async () => {
    await Promise.all(running.filter(isRouter).map(({ supervised }) => supervised.stop()));
    await Promise.all(running.filter((entry) => !isRouter(entry)).map(({ supervised }) => supervised.stop()));
  };
  try {
    await Promise.all(running.filter((entry) => !isRouter(entry)).map(({ supervised }) => supervised.start()));
    await Promise.all(running.filter(isRouter).map(({ supervised }) => supervised.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { services: running.map(({ service }) => service), routerUrl: urlOf(ports.router!), stop };
}
