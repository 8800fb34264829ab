import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { errorReportingClient, reportOnStderr } from './connection-errors';
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
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: poolSize, application_name: applicationName, Client: errorReportingClient(onConnectionError) },
    // The adapter's type wants a name for every statement; node-postgres sends an unnamed one for undefined.
    preparedStatements > 0 ? { statementNameGenerator: statementNames(preparedStatements) as (query: { sql: string }) => string } : undefined,
  );
  return new PrismaClient({ adapter });
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
      name = `rgb_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
      names.set(sql, name);
    }
    return name;
  };
}
