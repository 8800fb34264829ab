import pg from 'pg';
import { inject } from 'vitest';
import { databaseName, dropDatabase, withDatabase, withServer } from '../migrate';
import { randomDatabaseName, testServerUrl } from './server';

export { testServerUrl };

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, terminating any connection still open to it. */
  drop(): Promise<void>;
}

/**
 * Ends every session connected to the database of `databaseUrl` (as a server restart or a
 * failover would) and returns how many there were: once they are gone, or at once with `waitMs: 0`.
 */
export async function terminateSessions(databaseUrl: string, { waitMs = 5_000 }: { waitMs?: number } = {}): Promise<number> {
  const { rowCount } = await withServer(databaseUrl, (client) =>
    client.query('SELECT pg_terminate_backend(pid, $2) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      databaseName(databaseUrl),
      waitMs,
    ]),
  );
  return rowCount ?? 0;
}

/**
 * Creates a database of its own for a test file: a copy of the migrated
 * template database made by global-setup.ts, or an empty one with `empty: true`.
 */
export async function createTestDatabase({ empty = false }: { empty?: boolean } = {}): Promise<TestDatabase> {
  const template = empty ? undefined : inject('templateDatabase');
  if (!empty && !template) {
    throw new Error('No template database: add packages/db/src/testing/global-setup.ts to the vitest globalSetup.');
  }
  const name = randomDatabaseName('rgb_test');
  const url = withDatabase(testServerUrl, name);
  await withServer(url, (client) =>
    client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ''}`),
  );
  return { name, url, drop: () => dropDatabase(url) };
}
