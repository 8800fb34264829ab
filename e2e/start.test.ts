import { execFile } from 'node:child_process';
import { createConnection, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type PlatformMode, PortsUnavailableError, startPlatform } from '@rgb/platform';
import { createTestDatabase, testServerUrl } from '@rgb/db/testing';
import { describe, expect, it } from 'vitest';
import { freePlatformPorts } from './support/http';
import { launchPlatform } from './support/launcher';
import { isolatedRedisUrl } from './support/platform';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs an entry file with `env` (on top of this process's, minus `unset`) and returns its exit code and output. */
function run(
  entry: string,
  env: Record<string, string>,
  unset: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv = { ...process.env, ...env };
  for (const name of unset) delete childEnv[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', entry],
      { cwd: ROOT, env: childEnv, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const start = (env: Record<string, string>) => run('apps/platform/src/index.ts', env);

describe('npm start without its dependencies', () => {
  it('says in one line that PostgreSQL cannot be reached, and exits 1', async () => {
    const result = await start({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/rgb' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'PostgreSQL is not reachable at 127.0.0.1:1 (ECONNREFUSED): start it or set DATABASE_URL',
    ]);
  });

  it('says in one line that Redis cannot be reached, and exits 1', async () => {
    const result = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Redis is not reachable at 127.0.0.1:1 (ECONNREFUSED): start it or set REDIS_URL']);
  });
});

describe('npm start while something holds its ports (a platform already running)', () => {
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer((socket) => socket.end('still here\n')).listen(port, '127.0.0.1', () => resolve(server));
      server.on('error', reject);
    });
  /** Whether the database `name` exists; dropped if it does, so a failing run leaves none behind. */
  const databaseWasCreated = async (name: string) => {
    const client = new pg.Client({ connectionString: testServerUrl });
    await client.connect();
    try {
      const exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
      if (exists) await client.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      return exists;
    } finally {
      await client.end();
    }
  };
  const answer = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = createConnection(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

  /** Starts the platform with `taken` ports held by another listener; returns its refusal and what it printed. */
  async function startWith(taken: string[]) {
    const ports = await freePlatformPorts();
    const holders = await Promise.all(taken.map((name) => listen(ports[name]!)));
    const databaseName = `rgb_test_ports_${process.pid}_${Date.now()}`;
    const output: string[] = [];
    try {
      const error = await startPlatform({
        databaseUrl: Object.assign(new URL(testServerUrl), { pathname: `/${databaseName}` }).toString(),
        redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        env: { NODE_ENV: 'test', LOG_LEVEL: 'warn' },
        ports,
        onOutput: (service, line) => output.push(`${service}| ${line}`),
      }).then(
        async (platform) => {
          await platform.stop();
          throw new Error('the platform started although its ports were taken');
        },
        (refusal: unknown) => refusal,
      );
      // The one holding the ports still answers: nothing touched it.
      for (const name of taken) expect(await answer(ports[name]!)).toBe('still here\n');
      return { error, ports, output, databaseCreated: await databaseWasCreated(databaseName) };
    } finally {
      await Promise.all(holders.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  }

  it('names the port and service taken, and starts nothing (no process, no database)', async () => {
    const { error, ports, output, databaseCreated } = await startWith(['wallet']);
    expect(error).toBeInstanceOf(PortsUnavailableError);
    expect((error as Error).message).toBe(
      `The platform cannot start: 127.0.0.1:${ports.wallet} (wallet) is in use: is the platform already running? Stop it, or free that port`,
    );
    expect(output).toEqual([]);
    expect(databaseCreated).toBe(false);
  });

  it('names every port taken in one message, metrics and callback listeners included', async () => {
    const { error, ports, output } = await startWith(['router', 'router.metrics', 'game.callback']);
    expect((error as Error).message).toBe(
      `The platform cannot start: 127.0.0.1:${ports['game.callback']} (game.callback), 127.0.0.1:${ports.router} (router), 127.0.0.1:${ports['router.metrics']} (router.metrics) are in use: is the platform already running? Stop it, or free those ports`,
    );
    expect(output).toEqual([]);
  });

  it('refuses one port given to two listeners', async () => {
    const ports = await freePlatformPorts();
    const error = await startPlatform({
      databaseUrl: 'postgresql://postgres@127.0.0.1:1/never',
      redisUrl: 'redis://127.0.0.1:1',
      ports: { ...ports, 'wallet.metrics': ports.wallet },
    }).catch((refusal: unknown) => refusal);
    expect(error).toBeInstanceOf(PortsUnavailableError);
    expect((error as Error).message).toBe(`The platform cannot start: port ${ports.wallet} is given to wallet and wallet.metrics`);
  });
});

/** npm start on free ports against a database of its own; `run` gets it launched and its ports. */
async function withLauncher(
  env: Record<string, string>,
  run: (launched: ReturnType<typeof launchPlatform>, ports: Record<string, number>) => Promise<void>,
  mode: PlatformMode = 'single',
) {
  const database = await createTestDatabase();
  const ports = await freePlatformPorts();
  const launched = launchPlatform({
    mode,
    build: 'typescript',
    ports,
    env: { DATABASE_URL: database.url, REDIS_URL: await isolatedRedisUrl(), NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
  });
  try {
    await run(launched, ports);
  } finally {
    launched.child.kill('SIGKILL');
    await database.drop();
  }
}

/** The names of `ports` something still listens on. */
async function portsHeld(ports: Record<string, number>): Promise<string[]> {
  const held = await Promise.all(
    Object.entries(ports).map(
      ([name, port]) =>
        new Promise<string | null>((resolve) => {
          const server = createServer().once('error', () => resolve(name));
          server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(null)));
        }),
    ),
  );
  return held.filter((name): name is string => name !== null);
}

describe('npm start in one process (its default mode)', () => {
  it('exits 1 with the reason when one service cannot start, after stopping the others', async () => {
    await withLauncher({ CALLBACK_MAX_BYTES: 'lots' }, async (launched) => {
      expect(await launched.exited).toBe(1);
      const failure = launched.output.join('\n');
      expect(failure).toMatch(/^game failed to start: invalid configuration:\n {2}- CALLBACK_MAX_BYTES: /m);
      expect(failure).not.toContain('The platform is running');
    });
  }, 120_000);

  it('stops on Ctrl-C (SIGINT): every service drained, exit 0, every port free again', async () => {
    await withLauncher({}, async (launched, ports) => {
      await launched.serving(90_000);
      expect(launched.output).toContain('The platform is running, in one process (Ctrl-C stops it):');
      expect(await launched.stop('SIGINT')).toBe(0);
      expect(launched.output).toContain('stopping...');
      expect(await portsHeld(ports)).toEqual([]);
    });
  }, 120_000);
});

describe('npm start stopped while it starts', () => {
  it('stops what started once the start settles, and exits 0: no service left behind', async () => {
    await withLauncher(
      { LOG_LEVEL: 'info' },
      async (launched, ports) => {
        // A service's first line: the launcher is past its own loading, in the middle of starting them.
        const deadline = Date.now() + 90_000;
        while (!launched.output.some((line) => /^\w+ +\| /.test(line)) && launched.child.exitCode === null && Date.now() < deadline) await sleep(20);
        expect(await launched.stop('SIGTERM')).toBe(0);
        expect(launched.output).not.toContain('The platform is running, one process per service (Ctrl-C stops it):');
        expect(await portsHeld(ports)).toEqual([]);
      },
      'processes',
    );
  }, 120_000);
});

describe('a service in production', () => {
  const shared = ['AUTH_JWT_SECRET', 'INTERNAL_JWT_SECRET', 'REDIS_URL'];

  it.each([
    ['subgraphs/player/src/main.ts', [...shared, 'DATABASE_URL']],
    ['apps/router/src/main.ts', shared],
    ['apps/rgs/src/main.ts', ['REDIS_URL', 'DATABASE_URL', 'RGS_SECRETS_KEY']],
  ])('%s refuses to start without its settings, naming each', async (entry, required) => {
    const result = await run(entry, { NODE_ENV: 'production' }, [...shared, 'DATABASE_URL', 'RGS_SECRETS_KEY']);
    expect(result.code).toBe(1);
    for (const name of required) expect(result.stderr).toContain(`${name}: is required`);
  });

  it('refuses a secret left at its local value', async () => {
    const result = await run('subgraphs/player/src/main.ts', {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'local-auth-jwt-secret-not-for-production',
      INTERNAL_JWT_SECRET: 'x'.repeat(40),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/rgb',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('AUTH_JWT_SECRET: the local default is not accepted in production');
  });
});
