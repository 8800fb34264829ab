import { randomBytes } from 'node:crypto';

declare module 'vitest' {
  interface ProvidedContext {
    /** The migrated database that global-setup.ts made for createTestDatabase to copy. */
    templateDatabase: string;
  }
}

/** The PostgreSQL server test databases live on (its database part is ignored). */
export const testServerUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function randomDatabaseName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
