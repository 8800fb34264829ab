import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPlatform, type RunningPlatform } from '@rgb/platform';
import { freePlatformPorts } from '../support/http';
import { isolatedRedisUrl } from '../support/platform';

export interface BenchPlatform {
  platform: RunningPlatform;
  databaseName: string;
  databaseUrl: string;
  /** The secrets every process runs with, so a benchmark can sign as a service or a provider. */
  secrets: { AUTH_JWT_SECRET: string; INTERNAL_JWT_SECRET: string; PROVIDER_DEMO_SECRET: string };
  /** Stops every process and drops the benchmark's database. */
  stop(): Promise<void>;
}

/**
 * The platform as a benchmark runs it: every process on free ports, NODE_ENV=production with
 * fresh secrets, on a database of its own that stop() drops and a Redis database of its own.
 */
export async function startBenchPlatform(env: Record<string, string> = {}): Promise<BenchPlatform> {
  const server = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const databaseName = `rgb_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(server), { pathname: `/${databaseName}` }).toString();
  const secrets = {
    AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_JWT_SECRET: randomBytes(32).toString('hex'),
    PROVIDER_DEMO_SECRET: randomBytes(16).toString('hex'),
  };
  const dropDatabase = async () => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await client.end();
  };
  const ports = await freePlatformPorts();
  const platform = await startPlatform({
    databaseUrl,
    // A Redis database of its own: another platform on the same Redis (a test run, npm start) would
    // otherwise consume the benchmark's events and feed it theirs.
    redisUrl: process.env.REDIS_URL ?? (await isolatedRedisUrl()),
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...secrets,
      ADMIN_PASSWORD: 'bench-admin-password',
      PROVIDER_RGS_SECRET: randomBytes(16).toString('hex'),
      // The limiter still runs (its Redis call is part of every request's cost) but never refuses:
      // a benchmark's few clients send far more than any one client may.
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
      RATE_LIMIT_ANONYMOUS_BURST: '100000',
      RATE_LIMIT_CALLER_PER_MINUTE: '100000000',
      RATE_LIMIT_CALLER_BURST: '100000',
      ...env,
    },
    ports,
    // Services log at warn and above here: whatever they say is worth seeing beside the figures.
    onOutput: (service, line) => process.stderr.write(`${service.padEnd(13)}| ${line}\n`),
  }).catch(async (error: unknown) => {
    await dropDatabase();
    throw error;
  });
  return {
    platform,
    databaseName,
    databaseUrl,
    secrets,
    async stop() {
      await platform.stop();
      await dropDatabase();
    },
  };
}
