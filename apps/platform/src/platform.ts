import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { applyMigrations, createPrismaClient, ensureDatabase } from '@rgb/db';
import { ConfigError, createLogger, type Logger, type ProcessKind, type ProcessManifest, type StartedProcess } from '@rgb/kit';
import { seedDemoData, seedSecrets } from '../../../prisma/seed';
import { type Balancer, startBalancer } from './balancer';
import { checkDependencies } from './dependencies';
import { checkPortsFree, type PortNeed } from './ports';
import { instanceName, platformPorts, SERVICES } from './services';
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
  /** Port by name (`wallet`, `wallet.metrics`, `game.callback`: see DEFAULT_PORTS); the documented ones (docs/SERVICES.md) by default. */
  ports?: Partial<Record<string, number>>;
  /** How a process that crashed after it started is started again (DEFAULT_RESTART_POLICY; `processes` only). */
  restartPolicy?: Partial<RestartPolicy>;
  /**
   * How long each process may take to answer its first healthy /health (`processes` only; 60 s by
   * default). Every process of a stage boots at once, so a small machine running each with extra
   * start-up work (an OpenTelemetry exporter) may need longer.
   */
  startTimeoutMs?: number;
  /**
   * How many instances of each process run (`processes` only; 1 by default). With more, each
   * instance is named `wallet#1`, `wallet#2`... and listens on ports of its own (see platformPorts),
   * and a round-robin TCP balancer on the process's port spreads connections over the instances of
   * each API and listener, as a Kubernetes Service does: whoever calls the process calls it there.
   */
  replicas?: number;
}

export interface RunningService {
  /** Its process's name, or its instance's (`wallet#2`) when the platform runs replicas. */
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
  /** The process's name, or the instance's (`wallet#2`). */
  name: string;
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
  const mode = options.mode ?? 'processes';
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1) throw new ConfigError(`replicas must be a whole number of at least 1, not ${replicas}`);
  if (replicas > 1 && mode === 'single') throw new ConfigError('replicas run as processes of their own: use mode processes');
  const ports = { ...platformPorts(replicas), ...options.ports } as Record<string, number>;
  const host = baseEnv.HOST || '127.0.0.1';
  // Where an instance's port `<instance>` or listener `<instance>.<listener>` listens, as it binds it.
  const needsOf = (spec: ProcessManifest, prefix: string, metrics: boolean): PortNeed[] => [
    { name: prefix, host, port: ports[prefix]! },
    ...(metrics ? [{ name: `${prefix}.metrics`, host, port: ports[`${prefix}.metrics`]! }] : []),
    ...spec.listeners.map(({ name, hostEnv }) => ({ name: `${prefix}.${name}`, host: baseEnv[hostEnv] || '127.0.0.1', port: ports[`${prefix}.${name}`]! })),
  ];
  const instancesOf = (spec: ProcessManifest) => (replicas === 1 ? [spec.name] : Array.from({ length: replicas }, (_, index) => instanceName(spec.name, index + 1)));
  // With replicas, a balancer on each port of an API (its own, its listeners') in front of the same port of each instance.
  const balanced: BalancedPort[] =
    replicas === 1
      ? []
      : SERVICES.filter((spec) => spec.kind !== 'worker').flatMap((spec) => {
          const instances = instancesOf(spec).map((name) => needsOf(spec, name, false));
          return needsOf(spec, spec.name, false).map((need, index) => ({ need, backends: instances.map((own) => own[index]!) }));
        });
  await checkPortsFree([...balanced.map(({ need }) => need), ...SERVICES.flatMap((spec) => instancesOf(spec).flatMap((name) => needsOf(spec, name, true)))]);
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
  const launches: Launch[] = SERVICES.flatMap((spec) =>
    instancesOf(spec).map((name) => ({
      name,
      spec,
      url: urlOf(ports[name]!),
      metricsUrl: urlOf(ports[`${name}.metrics`]!),
      env: {
        ...sharedEnv,
        PORT: String(ports[name]),
        METRICS_PORT: String(ports[`${name}.metrics`]),
        ...Object.fromEntries(spec.listeners.map(({ name: listener, portEnv }) => [portEnv, String(ports[`${name}.${listener}`])])),
        // One process, one set of Node process metrics: in single mode only the router's /metrics has them.
        ...(mode === 'single' && spec.kind !== 'router' ? { PROCESS_METRICS: 'false' } : {}),
      },
    })),
  );
  // PLATFORM_NODE_ARGS passes flags to every service's node (e.g. --cpu-prof to profile one run).
  const nodeArgs = baseEnv.PLATFORM_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  if (mode === 'single') {
    const running = await startInProcess(launches);
    return { mode, services: running.services, routerUrl: urlOf(ports.router!), stop: running.stop };
  }
  // Each balancer listens before any instance starts, so the first calls between services find it.
  const balancers = await startBalancers(balanced, createLogger('platform', baseEnv.LOG_LEVEL || 'info'));
  const closeBalancers = async () => {
    await Promise.all(balancers.map((balancer) => balancer.close()));
  };
  let running: Awaited<ReturnType<typeof startSupervised>>;
  try {
    running = await startSupervised(launches, nodeArgs, options);
  } catch (error) {
    await closeBalancers();
    throw error;
  }
  const stop = async () => {
    try {
      await running.stop();
    } finally {
      await closeBalancers();
    }
  };
  return { mode, services: running.services, routerUrl: urlOf(ports.router!), stop };
}

/** A process's port, and the same port of each of its instances. */
interface BalancedPort {
  need: PortNeed;
  backends: PortNeed[];
}

/** A balancer on each port; all closed again if one fails to listen. */
async function startBalancers(balanced: readonly BalancedPort[], log: Logger): Promise<Balancer[]> {
  const results = await Promise.allSettled(balanced.map(({ need, backends }) => startBalancer(need, backends, log)));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((balancer) => balancer.close()));
    throw failure.reason;
  }
  return started;
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
  const running = launches.map(({ name, spec, env, url, metricsUrl }) => {
    const supervised = new SupervisedProcess(
      {
        name,
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
      name,
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
