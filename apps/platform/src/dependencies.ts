import { Redis } from 'ioredis';
import pg from 'pg';

export class DependencyError extends Error {
  override readonly name = 'DependencyError';
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code ?? message ?? String(error);
}

/** Fails with one clear line when PostgreSQL or Redis cannot be reached. */
export async function checkDependencies(databaseUrl: string, redisUrl: string): Promise<void> {
  const server = new URL(databaseUrl);
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new DependencyError(
      `PostgreSQL is not reachable at ${server.hostname}:${server.port || 5432} (${describe(error)}): start it or set DATABASE_URL`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  // The socket's own error (ECONNREFUSED...) arrives as an event; connect() only says the connection closed.
  let socketError: unknown;
  redis.on('error', (error) => {
    socketError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const url = new URL(redisUrl);
    throw new DependencyError(
      `Redis is not reachable at ${url.hostname}:${url.port || 6379} (${describe(socketError ?? error)}): start it or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}
