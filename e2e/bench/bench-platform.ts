import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { TokenService } from '@rgb/auth';
import { startPlatform, type RunningPlatform } from '@rgb/platform';
import { freePlatformPorts, send } from '../support/http';
import { isolatedRedisUrl } from '../support/platform';

export interface BenchPlatform {
  platform: RunningPlatform;
  databaseName: string;
  databaseUrl: string;
  /** The Redis database of its own the platform runs on. */
  redisUrl: string;
  /** The secrets every process runs with, so a benchmark can sign as a service or a provider. */
  secrets: {
    AUTH_JWT_SECRET: string;
    INTERNAL_JWT_SECRET: string;
    PROVIDER_DEMO_SECRET: string;
    PROVIDER_RGS_SECRET: string;
    /** The RGS's platform operator key, and the key the RGS seals its secrets under (production requires both). */
    RGS_OPERATOR_KEY: string;
    RGS_SECRETS_KEY: string;
    /** The bank-text webhooks' secrets (production requires both). */
    RECON_SMS_SECRET: string;
    RECON_TELEGRAM_SECRET: string;
  };
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
    PROVIDER_RGS_SECRET: randomBytes(16).toString('hex'),
    RGS_OPERATOR_KEY: randomBytes(24).toString('hex'),
    RGS_SECRETS_KEY: randomBytes(32).toString('hex'),
    RECON_SMS_SECRET: randomBytes(32).toString('hex'),
    RECON_TELEGRAM_SECRET: randomBytes(32).toString('hex'),
  };
  const dropDatabase = async () => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await client.end();
  };
  const ports = await freePlatformPorts();
  // A Redis database of its own: another platform on the same Redis (a test run, npm start) would
  // otherwise consume the benchmark's events and feed it theirs.
  const redisUrl = process.env.REDIS_URL ?? (await isolatedRedisUrl());
  const platform = await startPlatform({
    databaseUrl,
    redisUrl,
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...secrets,
      ADMIN_PASSWORD: 'bench-admin-password',
      AGENT_PASSWORD: 'bench-agent-password',
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
    redisUrl,
    secrets,
    async stop() {
      await platform.stop();
      await dropDatabase();
    },
  };
}

/** A player of the demo brand as a benchmark drives it: its id, and its provider account (`demo_{username}`). */
export interface BenchPlayer {
  id: string;
  account: string;
}

/**
 * Registers `count` players `{prefix}_{n}` on the demo brand through the router and funds each
 * through the wallet's internal API with more than any run stakes. Resolves the players and the
 * brand (its id and currency).
 */
export async function fundedBenchPlayers(bench: BenchPlatform, prefix: string, count: number): Promise<{ players: BenchPlayer[]; brand: { id: string; currency: string } }> {
  const { platform, secrets } = bench;
  const graphqlUrl = `${platform.routerUrl}/graphql`;
  const walletUrl = platform.services.find((s) => s.name === 'wallet')!.url;
  const serviceToken = await new TokenService({ secret: secrets.INTERNAL_JWT_SECRET }).signService('bench');
  const players: BenchPlayer[] = [];
  let brandId = '';
  for (let index = 0; index < count; index++) {
    const username = `${prefix}_${index}`;
    const registered = await send(graphqlUrl, 'POST', { host: 'localhost', 'content-type': 'application/json' }, JSON.stringify({
      query: 'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
      variables: { input: { username, password: 'bench-password', nickname: username } },
    }));
    const claims = decodeJwt(JSON.parse(registered.text).data.registerPlayer.accessToken) as { sub: string; brand_id: string };
    brandId = claims.brand_id;
    players.push({ id: claims.sub, account: `demo_${username}` });
    const funded = await send(`${walletUrl}/internal/wallet/adjustments`, 'POST', { 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` }, JSON.stringify({
      brand: { id: brandId, code: 'demo', currency: 'USD' },
      player_id: claims.sub,
      key: `${prefix}-funding-${index}`,
      reference: `bench ${prefix} funding`,
      caused_by: 'bench',
      reason: `bench ${prefix} funding`,
      amount_minor: '100000000000',
    }));
    if (funded.status !== 200) throw new Error(`funding: ${funded.status} ${funded.text}`);
  }
  return { players, brand: { id: brandId, currency: 'USD' } };
}
