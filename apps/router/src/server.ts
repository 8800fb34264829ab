import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import { TokenService } from '@rgb/auth';
import {
  BrandCatalog,
  ContextTokens,
  createHttpApp,
  createLogger,
  createMetricsApp,
  createRequestRedis,
  errorReportingPlugin,
  redisReady,
  formatError,
  Metrics,
  SessionRevocations,
  type CatalogBrand,
  type Logger,
  type UserCaller,
} from '@rgb/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { admissionTiming } from './admission';
import type { RouterConfig } from './config';
import { bankTextWebhooks, providerCallbacks, registerPassthroughs } from './callbacks';
import { edgeHook, type RefusalRenderer } from './edge';
import { registerLegacyShims } from './legacy/shims';
import { operationProtection } from './limits';
import { RateLimiter } from './rate-limit';
import { moneyLiteralRule, moneyVariablesPlugin } from './money-inputs';
import { createSubgraphFetcher } from './subgraph-fetcher';
import { SharedSubscriptions } from './shared-subscriptions';
import { StaffAccessCache } from './staff-access';
import { SubgraphHealth } from './subgraph-health';
import { SubgraphDataSource } from './subgraph-source';
import { composeSupergraph, readSupergraphConfig } from './supergraph';
import { serveWebSockets } from './websocket';

export interface RouterContext {
  requestId: string;
  brand: CatalogBrand;
  caller: UserCaller | null;
  /** Signed once per request, sent to every subgraph the plan touches. */
  contextToken: string;
  /** Without the SDK, the trace context sent to the subgraphs (with it, the instrumentation sends the active span's). */
  traceparent: string | undefined;
  log: Logger;
}

/** Timeout of an entity fetch a subscription's result needs from another subgraph. */
const SUBSCRIPTION_FETCH_TIMEOUT_MS = 5_000;

export interface Router {
  app: FastifyInstance;
  catalog: BrandCatalog;
  metrics: Metrics;
  /** The subscriptions served over graphql-ws on /graphql. */
  subscriptions: SharedSubscriptions;
  /**
   * Composes supergraph.yaml again and serves the result: the gateway plans with it, and open
   * subscriptions end with `SUPERGRAPH_RELOADED`. A composition error changes nothing and is thrown.
   */
  reloadSupergraph(): Promise<void>;
  /** `GET /metrics` on METRICS_PORT, never on the public port; `listen()` opens it first. */
  metricsApp: FastifyInstance;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Builds the router: composition, brand and token edge, limits, the gateway. Throws on a composition error. */
export async function createRouter(
  config: RouterConfig,
  env: NodeJS.ProcessEnv = process.env,
  log: Logger = createLogger('router', config.LOG_LEVEL),
): Promise<Router> {
  const subgraphs = readSupergraphConfig(config.SUPERGRAPH_CONFIG, env);
  const supergraphSdl = composeSupergraph(subgraphs);
  const metrics = new Metrics('router', { processMetrics: config.PROCESS_METRICS });
  const mismatches = new Counter({
    name: 'brand_mismatch_total',
    help: 'Requests whose token brand differs from the host brand, by enforcement mode and audience',
    labelNames: ['mode', 'audience'] as const,
    registers: [metrics.registry],
  });
  const revocationCheckFailures = new Counter({
    name: 'session_revocation_check_failures_total',
    help: 'Authenticated requests let through because the revoked-session check could not reach Redis',
    registers: [metrics.registry],
  });
  const userTokens = new TokenService({ secret: config.AUTH_JWT_SECRET });
  const redis = createRequestRedis(config.REDIS_URL);
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const revocations = new SessionRevocations(redis, userTokens.accessTokenTtlSeconds);
  const serviceTokens = new TokenService({ secret: config.INTERNAL_JWT_SECRET });
  const contextTokens = new ContextTokens(config.INTERNAL_JWT_SECRET, 'router');
  const catalog = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'router', tokens: serviceTokens, log });
  await catalog.start();
  const staffAccess = new StaffAccessCache({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, tokens: serviceTokens, log });
  await staffAccess.start();
  // The rate limit and revocation checks fail open until Redis is connected: connect first.
  await redisReady(redis).catch((error: unknown) => log.error({ err: error }, 'redis is not reachable yet'));
  let subgraphHealth = new SubgraphHealth(subgraphs);

  const app = createHttpApp({
    log,
    metrics,
    bodyLimit: config.MAX_BODY_BYTES,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    startsTraces: true,
    checks: {
      brands: async () => {
        if (catalog.size === 0) throw new Error('no brands loaded');
      },
      subgraphs: () => subgraphHealth.check(),
    },
    // The router answers what the subgraphs that answer can (partial results by design): one
    // subgraph down must not take every router out of traffic.
    informational: ['subgraphs'],
  });
  app.decorateRequest('edge', null);
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    return reply.code(status).send({ errors: [{ message: status === 500 ? 'Internal server error' : error.message, extensions: { code } }] });
  });

  const subgraphFetcher = createSubgraphFetcher();
  const admission = admissionTiming(metrics.registry);
  let updateGateway: ((supergraphSdl: string) => void) | undefined;
  // Unless this is set, the gateway probes every cloud's metadata address (169.254.169.254...) and
  // reports usage to Apollo each minute: a money platform's router talks to nobody outside it.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    // A hook rather than the SDL, so reloadSupergraph can hand the gateway a new one.
    supergraphSdl: async ({ update }) => {
      updateGateway = update;
      return { supergraphSdl };
    },
    buildService: ({ name, url }) => new SubgraphDataSource(name, url!, subgraphFetcher.fetcher),
    experimental_didResolveQueryPlan: admission.planned,
  });

  const introspection = config.NODE_ENV !== 'production';
  const protection = operationProtection({
    maxTokens: config.MAX_QUERY_TOKENS,
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_QUERY_ALIASES,
    maxDirectives: config.MAX_QUERY_DIRECTIVES,
    maxCost: config.MAX_QUERY_COST,
    hideSuggestions: !introspection,
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    plugins: [
      admission.plugin,
      fastifyApolloDrainPlugin(app),
      ...protection.plugins,
      errorReportingPlugin(metrics),
      moneyVariablesPlugin,
      ...(config.NODE_ENV === 'production' ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
    parseOptions: protection.parseOptions,
    validationRules: [...protection.validationRules, moneyLiteralRule],
    introspection,
    // Apollo's own messages go through the router's structured logger, not bare console lines.
    logger: log,
    csrfPrevention: true,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (closeOnSignal): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const rateLimiter = new RateLimiter({
    redis,
    anonymous: { perMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, burst: config.RATE_LIMIT_ANONYMOUS_BURST },
    caller: { perMinute: config.RATE_LIMIT_CALLER_PER_MINUTE, burst: config.RATE_LIMIT_CALLER_BURST },
    registry: metrics.registry,
    log,
  });
  const edgeOptions = { catalog, userTokens, enforcement: config.MULTI_BRAND_ENFORCEMENT, mismatches, revocations, revocationCheckFailures, staffAccess };
  const graphqlRefusal: RefusalRenderer = (reply, refusal) =>
    reply.code(refusal.status).send({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
  // The context of every operation a client causes, through /graphql or a legacy shim alike.
  const contextFor = async (request: FastifyRequest): Promise<RouterContext> => {
    const { brand, caller } = request.edge!;
    return {
      requestId: request.id,
      brand,
      caller,
      contextToken: await contextTokens.sign({ brand: { id: brand.id, code: brand.code, currency: brand.currency }, caller, clientAddress: request.ip }),
      traceparent: request.traceparent,
      log: request.log as Logger,
    };
  };
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    onRequest: edgeHook(edgeOptions, rateLimiter, graphqlRefusal),
    handler: fastifyApolloHandler(apollo, { context: contextFor }),
  });
  await registerLegacyShims(app, {
    apollo,
    contextFor,
    admit: (render) => edgeHook(edgeOptions, rateLimiter, render),
    registry: metrics.registry,
  });

  const subscriptions = new SharedSubscriptions({
    supergraphSdl,
    contextTokens,
    registry: metrics.registry,
    log,
    fetchTimeoutMs: SUBSCRIPTION_FETCH_TIMEOUT_MS,
  });
  const subscriber = new Redis(config.REDIS_URL);
  subscriber.on('error', (error) => log.warn({ err: error }, 'redis subscriber connection error'));
  const websockets = serveWebSockets({
    server: app.server,
    subscriptions,
    edgeOptions,
    rateLimiter,
    contextTokens,
    revocations,
    subscriber,
    parseOptions: protection.parseOptions,
    validationRules: protection.validationRules,
    log,
  });

  const closePassthroughs = await registerPassthroughs(app, {
    targets: [providerCallbacks(config.GAME_CALLBACK_URL), bankTextWebhooks(config.RECON_WEBHOOK_URL)],
    serviceTokens,
    bodyLimit: config.MAX_BODY_BYTES,
  });

  const metricsApp = createMetricsApp(metrics, log);
  return {
    app,
    catalog,
    metrics,
    subscriptions,
    metricsApp,
    async reloadSupergraph() {
      const reread = readSupergraphConfig(config.SUPERGRAPH_CONFIG, env);
      const reloaded = composeSupergraph(reread);
      updateGateway!(reloaded);
      subgraphHealth = new SubgraphHealth(reread);
      await subscriptions.reload(reloaded);
      log.info({ subgraphs: reread.map(({ name, url }) => ({ name, url })) }, 'supergraph reloaded');
    },
    async listen() {
      await metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
      return app.listen({ port: config.PORT, host: config.HOST });
    },
    async close() {
      // Websockets first (1001 going away, upstream subscriptions completed): they would hold app.close().
      await websockets.close();
      await app.close();
      await apollo.stop();
      await catalog.stop();
      await staffAccess.stop();
      await subgraphFetcher.close();
      await closePassthroughs();
      await redis.quit().catch(() => redis.disconnect());
      await metricsApp.close();
    },
  };
}
