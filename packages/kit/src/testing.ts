import { randomUUID } from 'node:crypto';
import { PERMISSION_NAMES, type Permission } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { seedDemoData } from '../../../prisma/seed';
import { CONTEXT_HEADER, ContextTokens, type BrandRef, type ForwardedContext, type UserKind } from './request-context';
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
    await seedDemoData(server.deps.prisma, { adminPassword, demoProviderSecret: TEST_PROVIDER_SECRET, rgsProviderSecret: TEST_PROVIDER_SECRET });
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
