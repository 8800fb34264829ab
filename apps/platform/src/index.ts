import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL } from '@rgb/kit';
import { DependencyError } from './dependencies';
import { startPlatform } from './platform';
import { PortsUnavailableError } from './ports';
import { crashLine, restartLine, runningBanner } from './report';

export { startPlatform, type PlatformOptions, type RunningPlatform, type RunningService } from './platform';
export { PortsUnavailableError } from './ports';
export { crashLine, restartLine, runningBanner } from './report';
export { DEFAULT_PORTS, SERVICES } from './services';
export { DEFAULT_RESTART_POLICY, type Crash, type RestartPolicy } from './supervisor';

const isEntry = import.meta.url === `file://${process.argv[1]}`;

if (isEntry) {
  const databaseUrl = process.env.DATABASE_URL || LOCAL_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || LOCAL_REDIS_URL;
  const print = (source: string, line: string) => process.stdout.write(`${source.padEnd(13)}| ${line}\n`);
  try {
    const platform = await startPlatform({
      databaseUrl,
      redisUrl,
      onOutput: print,
      onCrash: (crash) => print('platform', crashLine(crash)),
      onRestart: (service, restart) => print('platform', restartLine(service, restart)),
    });
    process.stdout.write(runningBanner(platform.services));
    let stopping = false;
    const shutdown = () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('stopping...\n');
      void platform.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (error) {
    const known = error instanceof DependencyError || error instanceof PortsUnavailableError;
    process.stderr.write(`${known ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  }
}
