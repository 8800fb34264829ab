import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RunningService } from '../src/platform';
import { crashLine, restartLine, runningBanner } from '../src/report';

describe('what npm start prints', () => {
  it('lists each process with its URL and its metrics URL', () => {
    const service = (name: string, port: number, metricsPort: number): RunningService => ({
      name,
      url: `http://127.0.0.1:${port}`,
      metricsUrl: `http://127.0.0.1:${metricsPort}`,
      process: {} as ChildProcess,
      restarts: 0,
    });
    expect(runningBanner({ mode: 'single', services: [service('wallet', 8011, 9111), service('router', 8080, 9180)] })).toBe(
      [
        '',
        'The platform is running, in one process (Ctrl-C stops it):',
        '  wallet         http://127.0.0.1:8011            metrics http://127.0.0.1:9111/metrics',
        '  router         http://127.0.0.1:8080/graphql    metrics http://127.0.0.1:9180/metrics',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says in one line which process exited, how, and when it restarts; and when it serves again', () => {
    expect(crashLine({ service: 'wallet', code: null, signal: 'SIGKILL', restart: 1, restartInMs: 500 })).toBe(
      'wallet exited (signal SIGKILL); restart 1 in 0.5 s',
    );
    expect(crashLine({ service: 'game', code: 1, signal: null, restart: 6, restartInMs: 10_000 })).toBe('game exited (code 1); restart 6 in 10 s');
    expect(restartLine('wallet', 1)).toBe('wallet is serving again (restart 1)');
  });
});
