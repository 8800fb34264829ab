import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { errorReportingClient, reportOnStderr } from './connection-errors';
import { type DirectSql, directSqlOn, statementName } from './direct-sql';
import { PrismaClient } from './generated/prisma/client';

export interface PrismaClientOptions {
  databaseUrl: string;
  /** Connections this process may hold; every service sizes its own pool. */
  poolSize?: number;
  /** Shown in pg_stat_activity, so a DBA sees which service holds a connection. */
  applicationName?: string;
  /** How many distinct statements each connection keeps prepared (0: none). */
  preparedStatements?: number;
  /**
   * Told of every error a pooled connection reports once the server has ended it (a restart, a
   * failover, a pooler, pg_terminate_backend). The pool drops that connection and opens a new one
   * when next needed; a query that was running on it fails with its own error. By default one
   * JSON line on stderr.
   */
  onConnectionError?: (error: Error) => void;
}

export function createPrismaClient({
  databaseUrl,
  poolSize = 10,
  applicationName,
  preparedStatements = 500,
  onConnectionError = reportOnStderr(applicationName),
}: PrismaClientOptions): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, application_name: applicationName, Client: errorReportingClient(onConnectionError) });
  // An idle connection the server ends is reported by its client's listener; without one here
  // too the pool's re-emitted 'error' would end the process (the adapter adds its own only once
  // Prisma first connects, and directSql may come first).
  pool.on('error', () => undefined);
  const adapter = new PrismaPg(pool, {
    // The client's $disconnect() ends the pool, as it would end one the adapter made itself.
    disposeExternalPool: true,
    // The adapter's type wants a name for every statement; node-postgres sends an unnamed one for undefined.
    ...(preparedStatements > 0 ? { statementNameGenerator: statementNames(preparedStatements) as (query: { sql: string }) => string } : {}),
  });
  const prisma = new PrismaClient({ adapter });
  // Connected through Prisma first, so that its $disconnect() ends the pool also when every
  // statement so far was direct.
  let connected: Promise<void> | null = null;
  Object.defineProperty(prisma, DIRECT_SQL, { value: directSqlOn(pool, preparedStatements > 0, () => (connected ??= prisma.$connect())) });
  return prisma;
}

// A property, not a WeakMap entry: a client wrapped by $extends (tests record its operations)
// still reaches it. A transaction client is refused by directSql's type: a direct statement
// would run outside that transaction.
const DIRECT_SQL = Symbol('rgb.directSql');

/** The direct statements of a client made by createPrismaClient: its pool, its prepared-statement setting. */
export function directSql(prisma: PrismaClient): DirectSql {
  const sql = (prisma as unknown as Record<symbol, DirectSql | undefined>)[DIRECT_SQL];
  if (!sql) throw new Error('directSql needs a client made by createPrismaClient');
  return sql;
}

/**
 * Names the first `limit` distinct statements a process runs, so each connection parses and plans
 * them once instead of on every call (half the cost of a short write here). The name is a hash of
 * the text, so one name never means two statements; past the limit a statement stays unnamed, which
 * bounds what a connection holds when queries vary (IN lists of every length, say).
 */
export function statementNames(limit: number): (query: { sql: string }) => string | undefined {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < limit) {
      name = statementName(sql);
      names.set(sql, name);
    }
    return name;
  };
}
