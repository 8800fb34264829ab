import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createMigration, ensureDatabase } from '@rgb/db';
import { createTestDatabase, testServerUrl, type TestDatabase } from '@rgb/db/testing';
import { defaultMigrationsDir, defaultSchemaDir, dropDatabase, withDatabase } from '../src/migrate';

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

async function query<T = Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function migrationNames(migrationsDir = defaultMigrationsDir): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** `schema.table` of every model in the Prisma schema files. */
async function schemaTables(): Promise<string[]> {
  const files = (await readdir(defaultSchemaDir)).filter((file) => file.endsWith('.prisma'));
  const tables: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(defaultSchemaDir, file), 'utf8');
    for (const [, model, body = ''] of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
      const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? model;
      const schema = /@@schema\("([^"]+)"\)/.exec(body)?.[1] ?? 'public';
      tables.push(`${schema}.${table}`);
    }
  }
  return tables.sort();
}

/** The Postgres schemas the datasource declares (base.prisma `schemas = [...]`). */
async function declaredSchemas(): Promise<string[]> {
  const base = await readFile(path.join(defaultSchemaDir, 'base.prisma'), 'utf8');
  const list = /schemas\s*=\s*\[([^\]]*)\]/.exec(base)?.[1] ?? '';
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]!).sort();
}

async function databaseTables(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
     WHERE table_schema = ANY($1::text[]) ORDER BY 1`,
    [await declaredSchemas()],
  );
  return rows.map((row) => row.name);
}

/** Copies of prisma/schema and prisma/migrations that a test may change. */
async function tempCopy(): Promise<{ schemaDir: string; migrationsDir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rgb-db-test-'));
  tempDirs.push(dir);
  const schemaDir = path.join(dir, 'schema');
  const migrationsDir = path.join(dir, 'migrations');
  await cp(defaultSchemaDir, schemaDir, { recursive: true });
  await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
  return { schemaDir, migrationsDir };
}

describe('applyMigrations', () => {
  it('creates every table of the schema in an empty database and records the migrations', async () => {
    const db = await emptyDatabase();
    const names = await migrationNames();
    expect(names.length).toBeGreaterThan(0);

    expect(await applyMigrations({ databaseUrl: db.url })).toEqual(names);

    const declared = await declaredSchemas();
    expect(declared).toEqual(expect.arrayContaining(['admin', 'game', 'player', 'wallet']));
    const schemas = await query<{ nspname: string }>(db.url, `SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[]) ORDER BY 1`, [declared]);
    expect(schemas.map((row) => row.nspname)).toEqual(declared);
    expect(await databaseTables(db.url)).toEqual(await schemaTables());
    const recorded = await query<{ migration_name: string }>(
      db.url,
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY 1`,
    );
    expect(recorded.map((row) => row.migration_name)).toEqual(names);

    expect(await applyMigrations({ databaseUrl: db.url })).toEqual([]);
  });

  it('applies each migration once when two callers create and migrate a fresh database at the same time', async () => {
    const url = withDatabase(testServerUrl, `rgb_test_concurrent_${Date.now()}`);
    databases.push({ name: '', url, drop: () => dropDatabase(url) });
    const migrate = async () => {
      await ensureDatabase(url);
      return applyMigrations({ databaseUrl: url });
    };

    const results = await Promise.all([migrate(), migrate()]);

    const names = await migrationNames();
    expect(results.map((applied) => applied.length).sort()).toEqual([0, names.length]);
    const [{ count }] = (await query<{ count: string }>(url, 'SELECT count(*) FROM _prisma_migrations')) as [{ count: string }];
    expect(Number(count)).toBe(names.length);
  });

  it('throws when an applied migration was modified', async () => {
    const { migrationsDir } = await tempCopy();
    const db = await emptyDatabase();
    await applyMigrations({ databaseUrl: db.url, migrationsDir });
    const [first] = await migrationNames(migrationsDir);
    await appendFile(path.join(migrationsDir, first!, 'migration.sql'), '\n-- edited afterwards\n');

    await expect(applyMigrations({ databaseUrl: db.url, migrationsDir })).rejects.toThrow(
      new RegExp(`modified after they were applied.*${first}`),
    );
  });

  it("throws the engine's error when a migration fails, and keeps refusing afterwards", async () => {
    const { migrationsDir } = await tempCopy();
    await mkdir(path.join(migrationsDir, '29991231000000_broken'));
    await writeFile(path.join(migrationsDir, '29991231000000_broken', 'migration.sql'), 'SELECT * FROM no_such_table;\n');
    const db = await emptyDatabase();

    await expect(applyMigrations({ databaseUrl: db.url, migrationsDir })).rejects.toThrow(/no_such_table/);
    await expect(applyMigrations({ databaseUrl: db.url, migrationsDir })).rejects.toThrow(/29991231000000_broken.*failed/s);
  });
});

describe('createMigration', () => {
  it('writes nothing when the migrations match the schema', async () => {
    const db = await emptyDatabase();
    const dirs = await tempCopy();

    expect(await createMigration({ databaseUrl: db.url, name: 'nothing', ...dirs })).toBeNull();
    expect(await migrationNames(dirs.migrationsDir)).toEqual(await migrationNames());
  });

  it('writes the difference after a schema change (from every schema file), and it applies', async () => {
    const db = await emptyDatabase();
    const dirs = await tempCopy();
    await writeFile(
      path.join(dirs.schemaDir, 'extra.prisma'),
      `model WalletNote {\n  id   Int    @id @default(autoincrement())\n  text String\n\n  @@map("wallet_note")\n  @@schema("wallet")\n}\n`,
    );

    const created = await createMigration({ databaseUrl: db.url, name: 'Add wallet note', ...dirs });

    expect(created?.name).toMatch(/^\d{14}_add_wallet_note$/);
    expect(created?.path).toBe(path.join(dirs.migrationsDir, created!.name, 'migration.sql'));
    expect(await readFile(created!.path, 'utf8')).toContain('CREATE TABLE "wallet"."wallet_note"');
    expect(await applyMigrations({ databaseUrl: db.url, migrationsDir: dirs.migrationsDir })).toEqual([
      ...(await migrationNames()),
      created!.name,
    ]);
    expect(await databaseTables(db.url)).toContain('wallet.wallet_note');
    expect(await createMigration({ databaseUrl: db.url, name: 'again', ...dirs })).toBeNull();
  });

  it('writes migration_lock.toml with the first migration', async () => {
    const db = await emptyDatabase();
    const { schemaDir } = await tempCopy();
    const migrationsDir = path.join(path.dirname(schemaDir), 'fresh-migrations');

    const created = await createMigration({ databaseUrl: db.url, name: 'init', schemaDir, migrationsDir });

    expect(await readFile(created!.path, 'utf8')).toContain('CREATE SCHEMA IF NOT EXISTS "wallet"');
    expect(await readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
  });
});

describe('createTestDatabase', () => {
  it('gives a migrated database of its own quickly, and drops it despite open connections', async () => {
    const started = performance.now();
    const db = await createTestDatabase();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await databaseTables(db.url)).toEqual(await schemaTables());

    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => {}); // the drop terminates this connection
    await client.connect();
    await db.drop();
    const [{ exists }] = (await query<{ exists: boolean }>(
      testServerUrl,
      `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${db.name}') AS exists`,
    )) as [{ exists: boolean }];
    expect(exists).toBe(false);
  });
});
