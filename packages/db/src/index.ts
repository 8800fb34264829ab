export { createPrismaClient, directSql, statementNames, type PrismaClientOptions } from './client';
export { statement, type DirectSql, type Statement } from './direct-sql';
export { transientConflict, uniqueViolation } from './errors';
export {
  applyMigrations,
  awaitMigrations,
  createMigration,
  ensureDatabase,
  type ApplyMigrationsOptions,
  type AwaitMigrationsOptions,
  type CreateMigrationOptions,
  type CreatedMigration,
} from './migrate';
export * from './generated/prisma/client';
