// The build the images run: npm run build, then the platform on plain `node`, no TypeScript loader.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { compiledEntry, SERVICES, TRACING_REGISTER, type PlatformMode } from '@rgb/platform';
import { BUILD_ENTRIES, buildAll } from '@rgb/platform/build';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePlatformPorts } from './support/http';
import { launchPlatform, type LaunchedPlatform } from './support/launcher';
import { isolatedRedisUrl } from './support/platform';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The command line of a process, from /proc (Linux). */
const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
/** The children of a process, from /proc (Linux). */
const childrenOf = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);

let database: TestDatabase | undefined;
let launched: LaunchedPlatform | undefined;

beforeAll(async () => {
  await buildAll();
}, 120_000);

afterEach(async () => {
  launched?.child.kill('SIGKILL');
  launched = undefined;
  await database?.drop();
  database = undefined;
});

describe('npm run build', () => {
  it('writes every entry it builds, the entry of every service among them', () => {
    for (const entry of BUILD_ENTRIES) expect(existsSync(`${ROOT}/${compiledEntry(entry)}`), compiledEntry(entry)).toBe(true);
    expect(BUILD_ENTRIES).toEqual(expect.arrayContaining(SERVICES.map((spec) => spec.entry)));
  });

  it.each<PlatformMode>(['single', 'processes'])('runs the platform compiled, in %s mode, with node alone: every /health green, a request through the router, SIGTERM exits 0', async (mode) => {
    database = await createTestDatabase();
    const ports = await freePlatformPorts();
    launched = launchPlatform({
      mode,
      build: 'compiled',
      ports,
      env: { DATABASE_URL: database.url, REDIS_URL: await isolatedRedisUrl(), NODE_ENV: 'test', LOG_LEVEL: 'warn' },
    });
    await launched.serving(90_000);

    const pid = launched.child.pid!;
    // Plain node, the tracing register entry imported first, then the compiled entry: no tsx anywhere.
    const tracing = ['--import', `./${compiledEntry(TRACING_REGISTER)}`];
    expect(commandLine(pid).slice(1)).toEqual([...tracing, 'apps/platform/dist/index.js']);
    const children = childrenOf(pid).map((child) => commandLine(child).slice(1));
    if (mode === 'processes') {
      expect(children).toEqual(expect.arrayContaining(SERVICES.map((spec) => [...tracing, compiledEntry(spec.entry)])));
    } else {
      expect(children).toEqual([]);
    }

    const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ currentBrand { code currency } }' }),
    });
    expect(await response.json()).toEqual({ data: { currentBrand: { code: 'demo', currency: 'USD' } } });

    expect(await launched.stop('SIGTERM')).toBe(0);
  }, 180_000);
});
