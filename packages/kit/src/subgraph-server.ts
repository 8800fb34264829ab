import { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { type TokenService, TokenError } from '@rgb/auth';
import type { PrismaClient } from '@rgb/db';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorReportingPlugin, formatError } from './graphql-errors';
import { createHttpApp, createMetricsApp, type HealthCheck } from './http-app';
import { internalErrorHandler } from './internal-routes';
import type { Metrics } from './metrics';
import { CONTEXT_HEADER, ContextTokens, type BrandRef, type Caller, type ForwardedContext } from './request-context';
import type { SubgraphConfig } from './service';
import type { SessionRevocations } from './session-revocations';
import { subgraphSdl } from './subgraph-sdl';
import { serveSubscriptions, type SubscriptionServer } from './subscriptions';

/** What every resolver receives: who asks, for which brand, and per-request data access. */
export interface SubgraphContext<Loaders = unknown, Services = unknown> {
  requestId: string;
  /**
   * Without the SDK, the W3C trace context the caller forwarded, carried into the events this
   * request causes (with the SDK the active span carries it: undefined).
   */
  traceparent: string | undefined;
  brand: BrandRef;
  caller: Caller | null;
  /** The client's address the router forwarded (absent on calls that did not come from a client). */
  clientAddress: string | undefined;
  prisma: PrismaClient;
  /** Fresh per request, so batching never leaks data between callers. */
  loaders: Loaders;
  /** Long-lived domain services of the subgraph, built once at start. */
  services: Services;
  log: Logger;
}

export interface ServiceDeps {
  config: SubgraphConfig;
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
  /** Player, agent and staff tokens (AUTH_JWT_SECRET). */
  userTokens: TokenService;
  /** Service-to-service tokens (INTERNAL_JWT_SECRET). */
  serviceTokens: TokenService;
  redis: Redis;
  revocations: SessionRevocations;
}

/** What a request's loaders may depend on besides the database: who asks, for which brand, and the subgraph's services. */
export interface LoaderRequest<Services> {
  brand: BrandRef;
  caller: Caller | null;
  requestId: string;
  traceparent: string | undefined;
  log: Logger;
  services: Services;
}

export interface SubgraphDefinition<Loaders, Services> {
  name: string;
  /** Path of the subgraph's one `schema.graphql` (read with the shared types it names: subgraphSdl). */
  schemaPath: string;
  /** The generated `Resolvers` map of the subgraph (typed by codegen from schema.graphql). */
  resolvers: object;
  createLoaders: (prisma: PrismaClient, brand: BrandRef, request: LoaderRequest<Services>) => Loaders;
  /** Long-lived services of the subgraph, built once at start (a catalogue it loads, clients of other services). */
  createServices: (deps: ServiceDeps) => Services | Promise<Services>;
  /** Closes what createServices opened, once the server and its listeners have drained. */
  closeServices?: (services: Services) => Promise<void>;
  /**
   * Listeners besides the app's port (the game's provider callbacks): opened before the app's
   * port, so a green /health means every one of them is up, and closed before it.
   */
  listeners?: (deps: ServiceDeps, services: Services) => ExtraListener[];
  /** `/internal/*` routes for other services; every request there carries a verified service token. */
  internalRoutes?: (app: FastifyInstance, deps: ServiceDeps, services: Services) => void;
  checks?: Record<string, HealthCheck>;
}

export interface ExtraListener {
  name: string;
  /** Resolves with the listener's URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface RunningServer {
  app: FastifyInstance;
  /** `GET /metrics` on METRICS_PORT; `listen()` opens it before the app, `close()` closes it after. */
  metricsApp: FastifyInstance;
  /** Where each extra listener listens, by its name, once `listen()` resolved. */
  listenerUrls: Record<string, string>;
  /** Resolves with the app's URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    forwarded: ForwardedContext | null;
    serviceCaller: string | null;
  }
}

function refuse(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
}

/** Builds a subgraph: Apollo Server on the shared HTTP shell, accepting only signed router or service requests. */
export async function createSubgraphServer<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  deps: ServiceDeps,
): Promise<RunningServer> {
  const { config, prisma, log, metrics, serviceTokens } = deps;
  const contextTokens = new ContextTokens(config.INTERNAL_JWT_SECRET, definition.name);
  const app = createHttpApp({
    log,
    metrics,
    checks: { database: async () => void (await prisma.$queryRaw`SELECT 1`), ...definition.checks },
  });
  app.decorateRequest('forwarded', null);
  app.decorateRequest('serviceCaller', null);

  const services = await definition.createServices(deps);
  const listeners = definition.listeners?.(deps, services) ?? [];
  const schema = buildSubgraphSchema({ typeDefs: parse(subgraphSdl(definition.schemaPath)), resolvers: definition.resolvers as never });
  const apollo = new ApolloServer<SubgraphContext<Loaders, Services>>({
    schema,
    plugins: [fastifyApolloDrainPlugin(app), errorReportingPlugin(metrics)],
    formatError,
    // Apollo's own messages go through the service's structured logger, not bare console lines.
    logger: log,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (closeOnSignal): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    introspection: config.NODE_ENV !== 'production',
  });
  await apollo.start();

  const verifyForwarded = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers[CONTEXT_HEADER];
    try {
      request.forwarded = await contextTokens.verify(typeof header === 'string' ? header : undefined);
    } catch (error) {
      request.log.warn({ reason: (error as Error).message }, 'refused a request without valid router proof');
      return refuse(reply, 401, 'requests must come through the router');
    }
    request.log = request.log.child({ brand: request.forwarded.brand.code });
  };

  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    onRequest: verifyForwarded,
    handler: fastifyApolloHandler(apollo, {
      context: async (request) => {
        const forwarded = request.forwarded!;
        const asked = { brand: forwarded.brand, caller: forwarded.caller, requestId: request.id, traceparent: request.traceparent, log: request.log as Logger, services };
        return { ...asked, clientAddress: forwarded.clientAddress, prisma, loaders: definition.createLoaders(prisma, forwarded.brand, asked) };
      },
    }),
  });

  // A schema with subscriptions serves them over graphql-ws on the same path.
  const subscriptions: SubscriptionServer | undefined = schema.getSubscriptionType()
    ? serveSubscriptions({
        server: app.server,
        path: '/graphql',
        schema,
        contextTokens,
        log,
        context: ({ requestId, forwarded, log: requestLog }): SubgraphContext<Loaders, Services> => {
          const asked = { brand: forwarded.brand, caller: forwarded.caller, requestId, traceparent: undefined, log: requestLog, services };
          return { ...asked, clientAddress: forwarded.clientAddress, prisma, loaders: definition.createLoaders(prisma, forwarded.brand, asked) };
        },
      })
    : undefined;

  if (definition.internalRoutes) {
    await app.register(async (internal) => {
      internal.setErrorHandler(internalErrorHandler);
      internal.addHook('onRequest', async (request, reply) => {
        const token = request.headers.authorization?.replace(/^Bearer /, '');
        try {
          const verified = await serviceTokens.verify(token ?? '', ['service']);
          request.serviceCaller = verified.subject;
        } catch (error) {
          if (!(error instanceof TokenError)) throw error;
          return refuse(reply, 401, 'a service token is required');
        }
      });
      definition.internalRoutes!(internal, deps, services);
    });
  }

  const metricsApp = createMetricsApp(metrics, log);
  const listenerUrls: Record<string, string> = {};
  return {
    app,
    metricsApp,
    listenerUrls,
    async listen() {
      await metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
      for (const listener of listeners) listenerUrls[listener.name] = await listener.listen();
      return app.listen({ port: config.PORT, host: config.HOST });
    },
    async close() {
      for (const listener of listeners) await listener.close();
      await subscriptions?.close();
      await app.close();
      await apollo.stop();
      await metricsApp.close();
      await definition.closeServices?.(services);
    },
  };
}
