import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { applyMigrations, createPrismaClient, ensureDatabase } from '@rgb/db';
import { seedDemoData, seedSecrets } from '../../../prisma/seed';
import { checkDependencies } from './dependencies';
import { SERVICES, type ServiceSpec } from './services';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HEALTH_TIMEOUT_MS = 60_000;

export interface PlatformOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Extra environment for every process (secrets, MULTI_BRAND_ENFORCEMENT, LOG_LEVEL...). */
  env?: NodeJS.ProcessEnv;
  /** Port per service name; CONTRACT.md's ports by default. */
  ports?: Partial<Record<string, number>>;
  /** Receives each output line of each process. */
  onOutput?: (service: string, line: string) => void;
  /** Called when a process exits while the platform is meant to be running. */
  onCrash?: (service: string, code: number | null) => void;
}

export interface RunningService {
  name: string;
  url: string;
  process: ChildProcess;
}

export interface RunningPlatform {
  services: RunningService[];
  routerUrl: string;
  stop(): Promise<void>;
}

/** Migrates and seeds the database, then starts every subgraph and the router as separate processes. */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  await checkDependencies(options.databaseUrl, options.redisUrl);
  await ensureDatabase(options.databaseUrl);
  await applyMigrations({ databaseUrl: options.databaseUrl });
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl };
  const prisma = createPrismaClient({ databaseUrl: options.databaseUrl, poolSize: 2, applicationName: 'seed' });
  try {
    await seedDemoData(prisma, seedSecrets(baseEnv));
  } finally {
    await prisma.$disconnect();
  }

  const portOf = (spec: ServiceSpec) => options.ports?.[spec.name] ?? spec.port;
  const urlOf = (spec: ServiceSpec) => `http://127.0.0.1:${portOf(spec)}`;
  const subgraphs = SERVICES.filter((spec) => spec.kind === 'subgraph');
  const game = SERVICES.find((spec) => spec.name === 'game')!;
  const gameCallbackPort = options.ports?.['game.callback'] ?? game.callbackPort!;
  const serviceEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    // Where each service finds the others: <NAME>_URL for internal calls, SUBGRAPH_<NAME>_URL for the router.
    ...Object.fromEntries(subgraphs.map((spec) => [`${spec.name.toUpperCase()}_URL`, urlOf(spec)])),
    ...Object.fromEntries(subgraphs.map((spec) => [`SUBGRAPH_${spec.name.toUpperCase()}_URL`, `${urlOf(spec)}/graphql`])),
    CALLBACK_PORT: String(gameCallbackPort),
    GAME_CALLBACK_URL: `http://127.0.0.1:${gameCallbackPort}`,
  };

  const running: RunningService[] = [];
  let started = false;
  let stopping = false;
  const launch = async (spec: ServiceSpec): Promise<RunningService> => {
    // PLATFORM_NODE_ARGS passes flags to every service's node (e.g. --cpu-prof to profile one run).
    const nodeArgs = baseEnv.PLATFORM_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', spec.entry], {
      cwd: ROOT,
      env: { ...serviceEnv, PORT: String(portOf(spec)), RGB_SUPERVISED: '1' },
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each
      // service in order; the stdin pipe tells a service when the launcher is gone.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const service = { name: spec.name, url: urlOf(spec), process: child };
    running.push(service);
    const recent: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (buffered + chunk).split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          recent.push(line);
          if (recent.length > 20) recent.shift();
          options.onOutput?.(spec.name, line);
        }
      });
    }
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => {
        if (started && !stopping) options.onCrash?.(spec.name, code);
        reject(new Error(`${spec.name} exited with code ${code} during start:\n${recent.join('\n')}`));
      }),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForHealth(`${service.url}/health`), exited]);
    return service;
  };

  // The router first, so no request reaches a subgraph that is already draining.
  const stop = async () => {
    stopping = true;
    const isRouter = (service: RunningService) => service.name === 'router';
    await Promise.all(running.filter(isRouter).map(({ process: child }) => terminate(child)));
    await Promise.all(running.filter((service) => !isRouter(service)).map(({ process: child }) => terminate(child)));
  };
  try {
    await Promise.all(SERVICES.filter((spec) => spec.kind !== 'router').map(launch));
    await Promise.all(SERVICES.filter((spec) => spec.kind === 'router').map(launch));
  } catch (error) {
    await stop();
    throw error;
  }
  started = true;
  const router = running.find((service) => service.name === 'router')!;
  return { services: running, routerUrl: router.url, stop };
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not healthy within ${HEALTH_TIMEOUT_MS} ms: ${last}`);
}

/** SIGTERM (graceful drain), then SIGKILL if the process does not exit in time. */
function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
