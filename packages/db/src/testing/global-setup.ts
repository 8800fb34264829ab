// vitest globalSetup: migrates one template database per run, which
// createTestDatabase() copies for every test file that needs a database.
import type { TestProject } from 'vitest/node';
import { applyMigrations, dropDatabase, ensureDatabase, withDatabase } from '../migrate';
import { randomDatabaseName, testServerUrl } from './server';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = randomDatabaseName('rgb_test_template');
  const url = withDatabase(testServerUrl, name);
  await ensureDatabase(url);
  try {
    await applyMigrations({ databaseUrl: url });
  } catch (error) {
    await dropDatabase(url);
    throw error;
  }
  project.provide('templateDatabase', name);
  return () => dropDatabase(url);
}
