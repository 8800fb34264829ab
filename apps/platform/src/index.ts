import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL } from '@rgb/kit';
import { DependencyError } from './dependencies';
import { startPlatform } from './platform';

export { startPlatform, type PlatformOptions, type RunningPlatform } from './platform';
export { SERVICES } from './services';

const isEntry = import.meta.url === `file://${process.argv[1]}`;

if (isEntry) {
  const databaseUrl = process.env.DATABASE_URL || LOCAL_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || LOCAL_REDIS_URL;
  let shuttingDown = false;
  try {
    const platform = await startPlatform({
      databaseUrl,
      redisUrl,
      onOutput: (service, line) => process.stdout.write(`${service.padEnd(13)}| ${line}\n`),
      onCrash: (service, code) => {
        if (shuttingDown) return;
        process.stderr.write(`${service} exited unexpectedly (code ${code}); stopping the platform\n`);
        shuttingDown = true;
        void platform.stop().then(() => process.exit(1));
      },
    });
    process.stdout.write(
      `\nThe platform is running (Ctrl-C stops it):\n${platform.services
        .map((service) => `  ${service.name.padEnd(14)} ${service.url}${service.name === 'router' ? '/graphql' : ''}`)
        .join('\n')}\n\n`,
    );
    const shutdown = () => {
      if (shuttingDown) return;
      shuttingDown = true;
      process.stdout.write('stopping...\n');
      void platform.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (error) {
    process.stderr.write(`${error instanceof DependencyError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  }
}
