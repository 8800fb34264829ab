import type { RunningPlatform } from './platform';
import { type Crash, describeExit } from './supervisor';

const MODE_LINE = { single: 'in one process', processes: 'one process per service' } as const;

/** What `npm start` prints once everything serves: each service, where it listens and its metrics. */
export function runningBanner({ mode, services }: Pick<RunningPlatform, 'mode' | 'services'>): string {
  const rows = services.map((service) => {
    const url = `${service.url}${service.name === 'router' ? '/graphql' : ''}`;
    return `  ${service.name.padEnd(14)} ${url.padEnd(32)} metrics ${service.metricsUrl}/metrics`;
  });
  return `\nThe platform is running, ${MODE_LINE[mode]} (Ctrl-C stops it):\n${rows.join('\n')}\n\n`;
}

export function crashLine({ service, code, signal, restart, restartInMs }: Crash): string {
  return `${service} exited (${describeExit(code, signal)}); restart ${restart} in ${restartInMs / 1000} s`;
}

export function restartLine(service: string, restart: number): string {
  return `${service} is serving again (restart ${restart})`;
}
