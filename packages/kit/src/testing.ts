import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { PERMISSION_NAMES, type Permission } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { type SeedSecrets, seedDemoData } from '../../../prisma/seed';
import { CONTEXT_HEADER, ContextTokens, type BrandRef, type ForwardedContext, type UserKind } from './request-context';
import { rgsLocalDefaults } from './config';
import { closeServiceDeps, createServiceDeps, loadSubgraphConfig, type StartedSubgraph } from './service';
import { createSubgraphServer, type SubgraphDefinition } from './subgraph-server';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

export interface TestSubgraph extends StartedSubgraph {
  /** Sends an operation over real HTTP with a context token signed as the router would sign it. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> | undefined,
    context: ForwardedContext | null,
  ): Promise<GraphQLResponse<T>>;
  /**
   * Every Prisma operation the subgraph ran, in order (`Player.findMany`, `$queryRawUnsafe`, ...).
   * Empty it, send a request, and count: this is how tests see batching.
   */
  operations: string[];
}

/**
 * A subgraph listening on a free port against `databaseUrl`, as the integration tests use it;
 * `env` adds to its configuration (`PORT` to start one again where a router expects it).
 */
export async function startTestSubgraph<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<TestSubgraph> {
  const config = loadSubgraphConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '4', ...env });
  // What startSubgraph does, with the Prisma client wrapped to record each operation.
  const deps = createServiceDeps(definition.name, config);
  const client = deps.prisma;
  const operations: string[] = [];
  deps.prisma = client.$extends({
    query: {
      $allOperations({ model, operation, args, query }) {
        operations.push(model ? `${model}.${operation}` : operation);
        return query(args);
      },
    },
  }) as unknown as PrismaClient;
  const server = await createSubgraphServer(definition, deps);
  const url = await server.listen();
  const contextTokens = new ContextTokens(config.INTERNAL_JWT_SECRET, 'test');
  return {
    ...server,
    url,
    metricsUrl: server.metricsApp.listeningOrigin,
    deps,
    operations,
    async close() {
      await server.close();
      await closeServiceDeps({ ...deps, prisma: client });
    },
    async graphql(query, variables, context) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (context) headers[CONTEXT_HEADER] = await contextTokens.sign(context);
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] } as never;
    },
  };
}

/** The first GraphQL error of a response as `{ code, message }`, for one-line assertions. */
export function firstError(response: GraphQLResponse<unknown>): { code: string | undefined; message: string } | undefined {
  const error = response.body.errors?.[0];
  return error && { code: error.extensions?.code, message: error.message };
}

/** Whether a GraphQL answer was refused by a rate limit or the login throttle. */
export const isRateLimited = (response: GraphQLResponse<unknown>): boolean => firstError(response)?.code === 'RATE_LIMITED';

/** Repeats `attempt` every 100 ms while `again` holds of its answer, for at most `timeoutMs`; the first other answer. */
export async function retryWhile<T>(attempt: () => Promise<T>, again: (answer: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await attempt();
    if (!again(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`still refused after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The callback secret the seeded providers get in tests. */
export const TEST_PROVIDER_SECRET = 'test-provider-secret-0123456789';

/** The password the seeded staff member `admin` gets in tests. */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/** The password the seeded demo agent AG1 gets in tests. */
export const TEST_AGENT_PASSWORD = 'test-agent-password';

/** The X-Operator-Key of the RGS's seeded platform operator in tests. */
export const TEST_RGS_OPERATOR_KEY = 'test-rgs-operator-key-0123456789';

/** The secrets the demo data is seeded with in tests (`adminPassword` for the seeded `admin`). */
export function testSeedSecrets(adminPassword = TEST_ADMIN_PASSWORD): SeedSecrets {
  return {
    adminPassword,
    agentPassword: TEST_AGENT_PASSWORD,
    demoProviderSecret: TEST_PROVIDER_SECRET,
    rgsProviderSecret: TEST_PROVIDER_SECRET,
    rgsOperatorKey: TEST_RGS_OPERATOR_KEY,
    rgsSecretsKey: rgsLocalDefaults.RGS_SECRETS_KEY,
  };
}

export interface SeededTestSubgraph extends TestSubgraph {
  database: TestDatabase;
  /** The demo brands as the router forwards them: `demo` (USD) and `acme` (KRW). */
  brands: { demo: BrandRef; acme: BrandRef };
}

/**
 * A subgraph on a database of its own holding the demo data (brands, staff `admin` with
 * `adminPassword`); `close()` also drops the database.
 */
export async function startSeededTestSubgraph<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  { adminPassword = TEST_ADMIN_PASSWORD, env }: { adminPassword?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SeededTestSubgraph> {
  const database = await createTestDatabase();
  const server = await startTestSubgraph(definition, database.url, env);
  const close = async () => {
    await server.close();
    await database.drop();
  };
  try {
    await seedDemoData(server.deps.prisma, testSeedSecrets(adminPassword));
    const rows = await server.deps.prisma.brand.findMany({ select: { id: true, code: true, currency: true } });
    const brand = (code: string): BrandRef => {
      const row = rows.find((candidate) => candidate.code === code);
      if (!row) throw new Error(`seed lacks brand ${code}`);
      return row;
    };
    server.operations.length = 0;
    return { ...server, close, database, brands: { demo: brand('demo'), acme: brand('acme') } };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The forwarded context of an anonymous request on `brand` (from `clientAddress`, when given). */
export function anonymous(brand: BrandRef, clientAddress?: string): ForwardedContext {
  return clientAddress === undefined ? { brand, caller: null } : { brand, caller: null, clientAddress };
}

/**
 * The forwarded context of a signed-in user of `brand` (a fresh session id unless given); staff
 * come as the router forwards the seeded `admin`: every permission, every brand.
 */
export function signedIn(brand: BrandRef, kind: UserKind, id: string, sessionId: string = randomUUID()): ForwardedContext {
  if (kind === 'staff') return staffWith(brand, id, PERMISSION_NAMES, { allBrands: true, sessionId });
  return { brand, caller: { kind, id, brandId: brand.id, sessionId } };
}

/** The forwarded context of a staff member of `brand` holding `permissions` (not every brand unless `allBrands`). */
export function staffWith(
  brand: BrandRef,
  id: string,
  permissions: readonly Permission[],
  { allBrands = false, sessionId = randomUUID() }: { allBrands?: boolean; sessionId?: string } = {},
): ForwardedContext {
  return { brand, caller: { kind: 'staff', id, brandId: brand.id, sessionId, access: { permissions: [...permissions], allBrands } } };
}

/** Polls `probe` until it gives something (not undefined or false), or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A span as the stand-in collector received it, with the service and instrumentation scope it came under. */
export interface CollectedSpan {
  service: string;
  scope: string;
  name: string;
  /** OTLP's span kind (SERVER is 2, CONSUMER 5; not the API's enum). */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
type OtlpAttributes = { key: string; value: OtlpValue }[];
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttributes };
    scopeSpans: { scope: { name: string }; spans: (Omit<CollectedSpan, 'service' | 'scope' | 'attributes'> & { attributes: OtlpAttributes })[] }[];
  }[];
}

const attributesOf = (list: OtlpAttributes) => Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? value.intValue]));

/**
 * A stand-in OTLP/HTTP collector for tests: point `OTEL_EXPORTER_OTLP_ENDPOINT` at `url` with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, and every span exported lands in `spans`.
 */
export async function startOtlpCollector(): Promise<{ url: string; spans: CollectedSpan[]; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        for (const batch of (JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport).resourceSpans) {
          const service = String(attributesOf(batch.resource.attributes)['service.name']);
          for (const { scope, spans: scoped } of batch.scopeSpans) {
            for (const span of scoped) spans.push({ ...span, service, scope: scope.name, attributes: attributesOf(span.attributes) });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const REDIS_SERVER = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A Redis database (1-15) of its own for each booted platform or worker, so parallel test files
 * never consume each other's streams. Numbers come from a shared counter, not chance; the
 * database is emptied before use.
 */
export async function isolatedRedisUrl(): Promise<string> {
  const redis = new Redis(REDIS_SERVER);
  try {
    const index = ((await redis.incr('rgb:test:next-redis-db')) % 15) + 1;
    await redis.select(index);
    await redis.flushdb();
    return `${REDIS_SERVER.replace(/\/\d*$/, '')}/${index}`;
  } finally {
    redis.disconnect();
  }
}

/** One subscription over graphql-ws as a test sees it: every result, its end, and how the socket closed. */
export interface TestSubscription<T = Record<string, unknown>> {
  client: Client;
  results: GraphQLResponse<T>['body'][];
  /** The next result not yet taken by `next`, waiting up to `timeoutMs` for it. */
  next(timeoutMs?: number): Promise<GraphQLResponse<T>['body']>;
  /** Resolves when the server completes the subscription, rejects with what ended it otherwise. */
  completed: Promise<void>;
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/**
 * Subscribes over graphql-ws (never retrying: a test sees every close) with `payload` as the
 * connection_init payload and `headers` on the upgrade request (`host`...).
 */
export function subscribeOverWebSocket<T = Record<string, unknown>>(
  url: string,
  query: string,
  { payload, headers = {}, variables }: { payload?: Record<string, unknown>; headers?: Record<string, string>; variables?: Record<string, unknown> } = {},
): TestSubscription<T> {
  const results: GraphQLResponse<T>['body'][] = [];
  const waiting: ((result: GraphQLResponse<T>['body']) => void)[] = [];
  let taken = 0;
  let resolveClosed!: (close: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const subscription: TestSubscription<T> = {
    client: undefined as unknown as Client,
    results,
    completed: undefined as unknown as Promise<void>,
    closed,
    next(timeoutMs = 5_000) {
      if (taken < results.length) return Promise.resolve(results[taken++]!);
      // A call that times out takes nothing: the result that comes later is the next call's.
      return new Promise((resolve, reject) => {
        const waiter = (result: GraphQLResponse<T>['body']) => {
          clearTimeout(timer);
          taken++;
          resolve(result);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new Error(`no result ${taken + 1} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.push(waiter);
      });
    },
    async dispose() {
      await subscription.client.dispose();
    },
  };
  class HeaderedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  subscription.client = createClient({
    url,
    webSocketImpl: HeaderedWebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: payload,
    on: {
      closed: (event) => resolveClosed({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }),
    },
  });
  subscription.completed = new Promise<void>((resolve, reject) => {
    subscription.client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          results.push(result as GraphQLResponse<T>['body']);
          const waiter = waiting.shift();
          if (waiter) waiter(result as GraphQLResponse<T>['body']);
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  // A test that awaits `closed` instead must not see an unhandled rejection.
  subscription.completed.catch(() => {});
  return subscription;
}

/** A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
