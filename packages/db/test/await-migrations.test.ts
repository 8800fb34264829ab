/**
 * `await-migrations`, a pod's init container: it returns once every migration of this build is
 * applied (by another process), waits while one is missing or the database is not there yet, and
 * gives up after its timeout naming what is missing.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, awaitMigrations, ensureDatabase } from '@rgb/db';
import { createTestDatabase, testServerUrl, type TestDatabase } from '@rgb/db/testing';
import { defaultMigrationsDir, dropDatabase, withDatabase, withSession } from '../src/migrate';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'packages/db/src/cli.ts');
const databases: TestDatabase[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  databases.push(db);
  return db;
}

/** The migrations of this build but the last, as the previous release carried them; and that last one's name. */
async function previousRelease(): Promise<{ migrationsDir: string; last: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rgb-db-await-'));
  tempDirs.push(dir);
  const migrationsDir = path.join(dir, 'migrations');
  await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
  const names = (await readdir(migrationsDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const last = names.at(-1)!;
  await rm(path.join(migrationsDir, last), { recursive: true });
  return { migrationsDir, last };
}

/** Runs the CLI's await-migrations on `databaseUrl`; resolves with its exit code and output. */
function awaitMigrationsCli(databaseUrl: string, timeoutSeconds: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'await-migrations', '--timeout', String(timeoutSeconds)], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('awaitMigrations', () => {
  it('waits for the database, then for the migration the previous release lacks, and returns once it is applied', async () => {
    const url = withDatabase(testServerUrl, `rgb_test_await_${Date.now()}`);
    databases.push({ name: '', url, drop: () => dropDatabase(url) });
    const { migrationsDir, last } = await previousRelease();
    const states: string[] = [];
    let returned = false;
    const waiting = awaitMigrations({ databaseUrl: url, timeoutMs: 30_000, pollMs: 50, onWaiting: (state) => void states.push(state) }).then(() => {
      returned = true;
    });

    await expect.poll(() => states.length).toBe(1);
    expect(states[0]).toMatch(/^cannot read the applied migrations: .*does not exist/);
    await ensureDatabase(url);
    await applyMigrations({ databaseUrl: url, migrationsDir });
    await expect.poll(() => states.at(-1)).toBe(`1 migration(s) not applied: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(returned).toBe(false);

    const told = states.length;
    expect(await applyMigrations({ databaseUrl: url })).toEqual([last]);
    await waiting;
    expect(states).toHaveLength(told);
  });

  it('gives up after its timeout, naming the missing migration', async () => {
    const db = await emptyDatabase();
    const { migrationsDir, last } = await previousRelease();
    await applyMigrations({ databaseUrl: db.url, migrationsDir });
    const started = Date.now();
    await expect(awaitMigrations({ databaseUrl: db.url, timeoutMs: 500, pollMs: 50 })).rejects.toThrow(
      `Gave up after 1 s waiting for the migrations of this build on ${db.name}: 1 migration(s) not applied: ${last}`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('gives up by its timeout on a server that accepts connections and never answers (blackholed, stalled)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const failure = await awaitMigrations({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/rgb`, timeoutMs: 2_000 }).catch((error: unknown) => error);
      const took = Date.now() - started;
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/^Gave up after 2 s waiting for the migrations of this build on rgb: cannot read the applied migrations: no answer to connecting within \d+ ms/);
      expect(took).toBeGreaterThanOrEqual(1_900);
      expect(took).toBeLessThan(2_000 + 500 + 500); // the timeout, the last attempt past it, slack
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('gives up by its timeout on a query that never returns (the migrations table locked)', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    await withSession(db.url, async (locker) => {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE public._prisma_migrations IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const failure = await awaitMigrations({ databaseUrl: db.url, timeoutMs: 2_000 }).catch((error: unknown) => error);
      const took = Date.now() - started;
      await locker.query('ROLLBACK');
      expect((failure as Error).message).toMatch(/: cannot read the applied migrations: Query read timeout$/);
      expect(took).toBeGreaterThanOrEqual(1_900);
      expect(took).toBeLessThan(2_000 + 500 + 500); // the timeout, the last attempt past it, slack
    });
  });
});

describe('db cli await-migrations', () => {
  it('exits 0 on a migrated database', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    expect(await awaitMigrationsCli(db.url, 5)).toEqual({ code: 0, output: 'Every migration of this build is applied.\n' });
  });

  it('exits 1 after --timeout on a database without the schema, saying why', async () => {
    const db = await emptyDatabase();
    const started = Date.now();
    const { code, output } = await awaitMigrationsCli(db.url, 3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(code).toBe(1);
    expect(output).toMatch(/^Waiting: cannot read the applied migrations: relation "public._prisma_migrations" does not exist\n/);
    expect(output).toMatch(new RegExp(`Gave up after 3 s waiting for the migrations of this build on ${db.name}: cannot read the applied migrations`));
  });
});
