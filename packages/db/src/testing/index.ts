import pg from 'pg';
import { inject } from 'vitest';
import { dropDatabase, withDatabase, withServer } from '../migrate';
import { randomDatabaseName, testServerUrl } from './server';

export { testServerUrl };

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, terminating any connection still open to it. */
  drop(): Promise<void>;
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
