import { ConfigError, LOCAL_DATABASE_URL, LOCAL_REDIS_URL, loadConfig } from '@rgb/kit';
import { z } from 'zod';
import { DependencyError } from './dependencies';
import { ServiceStartError, startPlatform } from './platform';
import { PortsUnavailableError } from './ports';
import { crashLine, restartLine, runningBanner } from './report';
import { DEFAULT_PORTS } from './services';

export { compiledEntry, ServiceStartError, TRACING_REGISTER, startPlatform, type PlatformMode, type PlatformOptions, type RunningPlatform, type RunningService } from './platform';
export { PortsUnavailableError } from './ports';
export { crashLine, restartLine, runningBanner } from './report';
export { DEFAULT_PORTS, DOMAINS, instanceName, platformPorts, SERVICES } from './services';
export { DEFAULT_RESTART_POLICY, type Crash, type RestartPolicy } from './supervisor';

/** How long Ctrl-C may take to drain everything before the launcher gives up and exits 1. */
const STOP_TIMEOUT_MS = 30_000;

const portOverrides = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON object of ports by name ({"router":18080})' });
      return z.NEVER;
    }
  })
  .pipe(z.partialRecord(z.enum(Object.keys(DEFAULT_PORTS) as [string, ...string[]]), z.number().int().min(0).max(65535)));

const launcherEnv = z.object({
  PLATFORM_MODE: z.enum(['single', 'processes']).default('single'),
  /** Ports other than the documented ones (docs/SERVICES.md), by their names in DEFAULT_PORTS (a second platform beside one running). */
  PLATFORM_PORTS: portOverrides.optional(),
});

const isEntry = import.meta.url === `file://${process.argv[1]}`;

if (isEntry) {
  const databaseUrl = process.env.DATABASE_URL || LOCAL_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || LOCAL_REDIS_URL;
  const print = (source: string, line: string) => process.stdout.write(`${source.padEnd(13)}| ${line}\n`);
  const fail = (error: unknown) => {
    const known = [ConfigError, DependencyError, PortsUnavailableError, ServiceStartError].some((type) => error instanceof type);
    process.stderr.write(`${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(1);
  };
  // Listening from the first moment: a signal while starting stops what started once the start
  // settles (a second one exits at once), instead of killing the launcher and orphaning services.
  let stopping = false;
  let stop: (() => Promise<void>) | undefined;
  const shutdown = () => {
    if (stopping) {
      process.stderr.write('second signal: exiting now\n');
      process.exit(1);
    }
    stopping = true;
    process.stdout.write('stopping...\n');
    setTimeout(() => fail(new Error(`the platform did not stop within ${STOP_TIMEOUT_MS / 1000} s`)), STOP_TIMEOUT_MS).unref();
    stop?.().then(() => process.exit(0), fail);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    const config = loadConfig(launcherEnv);
    const platform = await startPlatform({
      mode: config.PLATFORM_MODE,
      databaseUrl,
      redisUrl,
      ports: config.PLATFORM_PORTS,
      onOutput: print,
      onCrash: (crash) => print('platform', crashLine(crash)),
      onRestart: (service, restart) => print('platform', restartLine(service, restart)),
    });
    stop = () => platform.stop();
    if (stopping) stop().then(() => process.exit(0), fail);
    else process.stdout.write(runningBanner(platform));
  } catch (error) {
    fail(error);
  }
}
