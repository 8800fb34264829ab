import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { rgsLocalDefaults } from '@rgb/kit';
import { freePort, isolatedRedisUrl, testSeedSecrets } from '@rgb/kit/testing';
import { seedDemoData } from '../../../../prisma/seed';
import { createRgs, loadRgsConfig } from '../../src/index';
import { createOperator, type NewOperator, SecretBox } from '../../src/operators';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the RGS API as an operator holding `key` would. */
export function operatorClient(baseUrl: string, key: string | undefined) {
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(key === undefined ? {} : { 'x-operator-key': key }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };
  return {
    post: (path: string, body?: unknown, headers?: Record<string, string>) => send('POST', path, body, headers),
    get: (path: string) => send('GET', path),
    put: (path: string, body?: unknown) => send('PUT', path, body),
    /** POST /bets with an Idempotency-Key (a fresh one unless given; null sends none). */
    bet: (body: { session_token: string; amount: unknown; pick: unknown }, idempotencyKey: string | null = randomBytes(8).toString('hex')) =>
      send('POST', '/bets', body, idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
  };
}
export type OperatorClient = ReturnType<typeof operatorClient>;

/** Seals like the RGS of the tests (the local RGS_SECRETS_KEY). */
export const testBox = new SecretBox(rgsLocalDefaults.RGS_SECRETS_KEY);

/** Another operator of the RGS, paying through `callbackBaseUrl` as provider rgs. */
export function operatorInput(code: string, apiKey: string, callbackBaseUrl: string, changes: Partial<NewOperator> = {}): NewOperator {
  return {
    code,
    name: `Operator ${code}`,
    apiKey,
    callbackBaseUrl,
    providerCode: 'rgs',
    providerSecret: testSeedSecrets().rgsProviderSecret,
    allowedJurisdictions: ['MT', 'GB'],
    defaultJurisdiction: 'MT',
    timezone: 'UTC',
    limits: [{ currency: 'USD', maxBetMinor: 100_000n, dailyLossLimitMinor: 1_000_000n, dailyWinLimitMinor: 5_000_000n }],
    ...changes,
  };
}

export const addOperator = (prisma: PrismaClient, input: NewOperator) => createOperator(prisma, testBox, input);

export interface RgsInstance {
  url: string;
  metricsUrl: string;
  close(): Promise<void>;
}

export interface StandaloneRgs extends RgsInstance {
  prisma: PrismaClient;
  database: TestDatabase;
  redisUrl: string;
}

/** An RGS instance on a database already seeded: another instance beside one, or one restarted. */
export async function startRgs(databaseUrl: string, redisUrl: string, env: Record<string, string> = {}): Promise<RgsInstance> {
  const rgs = createRgs(
    loadRgsConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: redisUrl,
      PORT: '0',
      METRICS_PORT: '0',
      ...env,
    }),
  );
  const url = await rgs.listen();
  return { url, metricsUrl: rgs.metricsApp.listeningOrigin, close: () => rgs.close() };
}

/**
 * The RGS alone on a seeded database of its own: its platform operator (TEST_RGS_OPERATOR_KEY)
 * pays through a port nothing listens on, so a test here never moves money by mistake.
 */
export async function startStandaloneRgs(env: Record<string, string> = {}): Promise<StandaloneRgs> {
  const database = await createTestDatabase();
  const prisma = createPrismaClient({ databaseUrl: database.url, poolSize: 2 });
  await seedDemoData(prisma, testSeedSecrets(), { routerUrl: `http://127.0.0.1:${await freePort()}` });
  const redisUrl = await isolatedRedisUrl();
  const rgs = await startRgs(database.url, redisUrl, env);
  return {
    ...rgs,
    prisma,
    database,
    redisUrl,
    async close() {
      await rgs.close();
      await prisma.$disconnect();
      await database.drop();
    },
  };
}
