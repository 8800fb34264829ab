import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { applyMigrations, createPrismaClient, ensureDatabase } from '@rgb/db';
import { ConfigError, type ProcessKind, type ProcessManifest, type StartedProcess } from '@rgb/kit';
import { seedDemoData, seedSecrets } from '../../../prisma/seed';
import { checkDependencies } from './dependencies';
import { checkPortsFree } from './ports';
import { DEFAULT_PORTS, SERVICES } from './services';
import { DEFAULT_RESTART_POLICY, SupervisedProcess, type RestartPolicy, type SupervisionEvents } from './supervisor';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Whether this launcher runs from the build (`dist/*.js`): then so does every service it starts. */
const COMPILED = import.meta.url.endsWith('.js');

/**
 * `single`: every API, worker and the router in this one Node process, as the libraries they
 * are, each on its own port with its own clients and metrics. `processes`: each as a child
 * process, restarted when it crashes.
 */
export type PlatformMode = 'single' | 'processes';

export interface PlatformOptions extends SupervisionEvents {
  databaseUrl: string;
  redisUrl: string;
  /** `processes` by default (what tests that kill a process need); `npm start` runs `single`. */
  mode?: PlatformMode;
  /** Extra environment for every service (secrets, MULTI_BRAND_ENFORCEMENT, LOG_LEVEL...). */
  env?: NodeJS.ProcessEnv;
  /** Port by name (`wallet`, `wallet.metrics`, `game.callback`: see DEFAULT_PORTS); CONTRACT.md's by default. */
  ports?: Partial<Record<string, number>>;
  /** How a process that crashed after it started is started again (DEFAULT_RESTART_POLICY; `processes` only). */
  restartPolicy?: Partial<RestartPolicy>;
  /**
   * How long each process may take to answer its first healthy /health (`processes` only; 60 s by
   * default). Every process of a stage boots at once, so a small machine running each with extra
   * start-up work (an OpenTelemetry exporter) may need longer.
   */
  startTimeoutMs?: number;
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  /** Where its /metrics is served (METRICS_PORT). */
  readonly metricsUrl: string;
  /** The process of its current run: a new one after each restart (`processes` mode only). */
  readonly process: ChildProcess;
  /** How many times it was started again after a crash. */
  readonly restarts: number;
}

export interface RunningPlatform {
  mode: PlatformMode;
  services: RunningService[];
  routerUrl: string;
  stop(): Promise<void>;
}

/** A service that failed to start in single mode; the others it started with are stopped. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

/** One service as this run launches it: its manifest and its environment. */
interface Launch {
  spec: ProcessManifest;
  env: NodeJS.ProcessEnv;
  url: string;
  metricsUrl: string;
}

const urlOf = (port: number) => `http://127.0.0.1:${port}`;

/**
 * When each kind starts: the domains' APIs and workers, then the router that composes them, then
 * the router's own clients (the RGS pays through its callbacks). They stop in the reverse order,
 * so nothing is left calling a process that has already stopped.
 */
const STAGE: Readonly<Record<ProcessKind, number>> = { subgraph: 0, worker: 0, router: 1, service: 2 };

/** `entries` in groups by stage, first to start first. */
function inStages<T extends { spec: ProcessManifest }>(entries: readonly T[]): T[][] {
  const stages = [...new Set(Object.values(STAGE))].sort((a, b) => a - b);
  return stages.map((stage) => entries.filter(({ spec }) => STAGE[spec.kind] === stage)).filter((group) => group.length > 0);
}

/**
 * Checks that every port is free, migrates and seeds the database, then starts every subgraph
 * and worker, and the router once they serve: in this process (`single`) or as supervised child
 * processes (`processes`).
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl };
  const ports = { ...DEFAULT_PORTS, ...options.ports } as Record<string, number>;
  const host = baseEnv.HOST || '127.0.0.1';
  await checkPortsFree(
    SERVICES.flatMap((spec) => [
      { name: spec.name, host, port: ports[spec.name]! },
      { name: `${spec.name}.metrics`, host, port: ports[`${spec.name}.metrics`]! },
      ...spec.listeners.map(({ name, hostEnv }) => ({ name: `${spec.name}.${name}`, host: baseEnv[hostEnv] || '127.0.0.1', port: ports[`${spec.name}.${name}`]! })),
    ]),
  );
  await checkDependencies(options.databaseUrl, options.redisUrl);
  await ensureDatabase(options.databaseUrl);
  await applyMigrations({ databaseUrl: options.databaseUrl });
  const prisma = createPrismaClient({ databaseUrl: options.databaseUrl, poolSize: 2, applicationName: 'seed' });
  try {
    // The RGS's platform operator pays through this run's router.
    await seedDemoData(prisma, seedSecrets(baseEnv), { routerUrl: urlOf(ports.router!) });
  } finally {
    await prisma.$disconnect();
  }

  const mode = options.mode ?? 'processes';
  const subgraphs = SERVICES.filter((spec) => spec.kind === 'subgraph');
  const apis = SERVICES.filter((spec) => spec.kind === 'subgraph' || spec.kind === 'service');
  const sharedEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    // Where each service finds the others: <NAME>_URL for internal calls (RGS_URL too), SUBGRAPH_<NAME>_URL
    // for the router, <NAME>_<LISTENER>_URL for an extra listener (GAME_CALLBACK_URL).
    ...Object.fromEntries(apis.map((spec) => [`${spec.name.toUpperCase()}_URL`, urlOf(ports[spec.name]!)])),
    ...Object.fromEntries(subgraphs.map((spec) => [`SUBGRAPH_${spec.name.toUpperCase()}_URL`, `${urlOf(ports[spec.name]!)}/graphql`])),
    ...Object.fromEntries(
      SERVICES.flatMap((spec) => spec.listeners.map(({ name }) => [`${spec.name}_${name}_URL`.toUpperCase(), urlOf(ports[`${spec.name}.${name}`]!)])),
    ),
  };
  const launches: Launch[] = SERVICES.map((spec) => ({
    spec,
    url: urlOf(ports[spec.name]!),
    metricsUrl: urlOf(ports[`${spec.name}.metrics`]!),
    env: {
      ...sharedEnv,
      PORT: String(ports[spec.name]),
      METRICS_PORT: String(ports[`${spec.name}.metrics`]),
      ...Object.fromEntries(spec.listeners.map(({ name, portEnv }) => [portEnv, String(ports[`${spec.name}.${name}`])])),
      // One process, one set of Node process metrics: in single mode only the router's /metrics has them.
      ...(mode === 'single' && spec.kind !== 'router' ? { PROCESS_METRICS: 'false' } : {}),
    },
  }));
  // PLATFORM_NODE_ARGS passes flags to every service's node (e.g. --cpu-prof to profile one run).
  const nodeArgs = baseEnv.PLATFORM_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const running = mode === 'single' ? await startInProcess(launches) : await startSupervised(launches, nodeArgs, options);
  return { mode, services: running.services, routerUrl: urlOf(ports.router!), stop: running.stop };
}

/** The last stage first (the RGS, then the router), so no request reaches a service that is already draining. */
async function stopInOrder<T extends { spec: ProcessManifest }>(entries: readonly T[], stop: (entry: T) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  for (const group of inStages(entries).reverse()) {
    for (const result of await Promise.allSettled(group.map(stop))) if (result.status === 'rejected') failures.push(result.reason);
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} service(s) failed to stop`);
}

async function startSupervised(launches: Launch[], nodeArgs: string[], options: PlatformOptions) {
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
  const running = launches.map(({ spec, env, url, metricsUrl }) => {
    const supervised = new SupervisedProcess(
      {
        name: spec.name,
        command: process.execPath,
        args: [...nodeArgs, ...entryArgs(spec)],
        cwd: ROOT,
        env: { ...env, OTEL_SERVICE_NAME: spec.name, RGB_SUPERVISED: '1' },
        healthUrl: `${url}/health`,
      },
      options,
      policy,
      options.startTimeoutMs,
    );
    const service: RunningService = {
      name: spec.name,
      url,
      metricsUrl,
      get process() {
        return supervised.process;
      },
      get restarts() {
        return supervised.restarts;
      },
    };
    return { spec, service, supervised };
  });
  const stop = () => stopInOrder(running, ({ supervised }) => supervised.stop());
  try {
    for (const group of inStages(running)) await Promise.all(group.map(({ supervised }) => supervised.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { services: running.map(({ service }) => service), stop };
}

/**
 * How a service process runs its entry: the compiled one with plain node when this launcher is
 * compiled, the TypeScript one through tsx otherwise. Flags every service process needs (a
 * loader, an `--import` of instrumentation) go here.
 */
function entryArgs(spec: ProcessManifest): string[] {
  // The tracing register entry starts OpenTelemetry before the entry imports anything (a no-op without an exporter).
  return COMPILED
    ? ['--import', `./${compiledEntry(TRACING_REGISTER)}`, compiledEntry(spec.entry)]
    : ['--import', 'tsx', '--import', '@rgb/kit/tracing-register', spec.entry];
}

/** Started with `node --import` before each service's entry, and before the launcher's in single mode. */
export const TRACING_REGISTER = 'packages/kit/src/tracing-register.ts';

/** Where the build writes an entry: `subgraphs/wallet/src/main.ts` → `subgraphs/wallet/dist/main.js`, `prisma/seed-main.ts` → `prisma/dist/seed-main.js`. */
export function compiledEntry(entry: string): string {
  return entry.replace(/(?:\/src)?\/([^/]+)\.ts$/, '/dist/$1.js');
}

/**
 * Single mode: each service started as a library in this process. Whatever is process-wide (signal
 * handlers, tracing) belongs to the launcher, once, not to the services: they get no runMain here.
 * A service that fails to start stops every other one, and the start fails with its reason.
 */
async function startInProcess(launches: Launch[]) {
  const started: { spec: ProcessManifest; running: StartedProcess }[] = [];
  const stop = () => stopInOrder(started, ({ running }) => running.close());
  const startAll = async (group: Launch[]) => {
    const results = await Promise.allSettled(
      group.map(async ({ spec, env }) => {
        try {
          started.push({ spec, running: await spec.start(env) });
        } catch (error) {
          const reason = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
          throw new ServiceStartError(`${spec.name} failed to start: ${reason}`);
        }
      }),
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  };
  try {
    for (const group of inStages(launches)) await startAll(group);
  } catch (error) {
    await stop();
    throw error;
  }
  const services = launches.map(({ spec, url, metricsUrl }): RunningService => ({
    name: spec.name,
    url,
    metricsUrl,
    get process(): ChildProcess {
      throw new Error(`${spec.name} runs inside the launcher's process (single mode): there is no process of its own`);
    },
    restarts: 0,
  }));
  return { services, stop };
}
