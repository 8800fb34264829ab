import type { ApolloServer } from '@apollo/server';
import { ErrorCode } from '@rgb/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { edgeHook, RefusalRenderer } from '../edge';
import type { RouterContext } from '../server';
import { failureOf, LegacyFailure, ok } from './envelope';
import { legacyRoutes } from './routes';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The legacy route a request matched (`GET /api/v1/member/me`), or `unknown`: its metrics label. */
    legacyRoute?: string;
  }
}

export interface LegacyShimOptions {
  apollo: ApolloServer<RouterContext>;
  /** The context the /graphql route gives its operations, built the same way. */
  contextFor(request: FastifyRequest): Promise<RouterContext>;
  /** The edge hook of /graphql (brand, token, brand enforcement, rate limit), answering its refusals with the given renderer. */
  admit(render: RefusalRenderer): ReturnType<typeof edgeHook>;
  registry: Registry;
}

const PREFIX = '/api/v1';

/** Where a GraphQL error of a shim's operation goes: the legacy failure of its code (and the login throttle's wait). */
function failureFromGraphQL(error: GraphQLFormattedError): LegacyFailure {
  const { code, retryAfterSeconds } = error.extensions ?? {};
  return new LegacyFailure(typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR, error.message, typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined);
}

/** What fastify refused before a handler ran (body parsing): the legacy failure of its status. */
function failureFromHttp(error: { statusCode?: number; message: string }): LegacyFailure | null {
  if (error.statusCode === 413) return new LegacyFailure('PAYLOAD_TOO_LARGE', error.message);
  if (error.statusCode === 415) return new LegacyFailure('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (content-type: application/json)');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new LegacyFailure(ErrorCode.BAD_USER_INPUT, error.message);
  return null;
}

/**
 * The legacy REST routes under /api/v1: each runs its one GraphQL operation through Apollo
 * Server in process (`executeOperation`), so the same plugins, limits, error masking and money
 * rules apply as to /graphql, behind the same edge. Every answer, refusals of the edge and of
 * body parsing included, is the legacy envelope; an unknown path under /api/v1 is a 404, a known
 * path with another method a 405.
 */
export async function registerLegacyShims(app: FastifyInstance, { apollo, contextFor, admit, registry }: LegacyShimOptions): Promise<void> {
  const requests = new Counter({
    name: 'legacy_requests_total',
    help: 'Requests of the legacy REST routes, by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'legacy_request_duration_seconds',
    help: 'Time to answer a legacy REST request, by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const fail = (request: FastifyRequest, reply: FastifyReply, failure: LegacyFailure) => {
    const { status, body, unmapped } = failureOf(failure);
    if (unmapped) request.log.error({ code: failure.code, message: failure.message }, 'legacy shim has no code for this refusal; answered 500');
    if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(failure.retryAfterSeconds));
    return reply.code(status).send(body);
  };
  const methodsOf = new Map<string, string[]>();
  for (const route of legacyRoutes) methodsOf.set(route.path, [...(methodsOf.get(route.path) ?? []), route.method]);

  await app.register(async (scope) => {
    scope.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const failure = error instanceof LegacyFailure ? error : failureFromHttp(error);
      if (failure) return fail(request, reply, failure);
      request.log.error({ err: error }, 'legacy request failed');
      return fail(request, reply, new LegacyFailure(ErrorCode.INTERNAL_SERVER_ERROR, error.message));
    });
    scope.addHook('onRequest', admit((reply, refusal) => fail(reply.request, reply, new LegacyFailure(refusal.code, refusal.message))));
    scope.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.config.legacyRoute ?? 'unknown';
      requests.inc({ route, status: String(reply.statusCode) });
      duration.observe({ route }, reply.elapsedTime / 1000);
    });

    for (const route of legacyRoutes) {
      scope.route({
        method: route.method,
        url: route.path,
        config: { legacyRoute: `${route.method} ${route.path}` },
        handler: async (request, reply) => {
          const variables = route.variables({ query: request.query as Record<string, unknown>, body: request.body, headers: request.headers });
          const response = await apollo.executeOperation({ query: route.operation, variables }, { contextValue: await contextFor(request) });
          if (response.body.kind !== 'single') throw new Error('a legacy operation was answered incrementally');
          const { data, errors } = response.body.singleResult;
          // The envelope has no room for a partial answer: the first error is the answer.
          if (errors?.[0]) return fail(request, reply, failureFromGraphQL(errors[0]));
          return reply.send(ok(route.data(data)));
        },
      });
    }
    scope.all(`${PREFIX}/*`, { config: { legacyRoute: 'unknown' } }, async (request, reply) => {
      const path = request.url.split('?')[0]!;
      const allowed = methodsOf.get(path);
      if (!allowed) return fail(request, reply, new LegacyFailure(ErrorCode.NOT_FOUND, `no route ${request.method} ${path}`));
      reply.header('allow', allowed.join(', '));
      return fail(request, reply, new LegacyFailure('METHOD_NOT_ALLOWED', `${path} does not take ${request.method}; it takes ${allowed.join(', ')}`));
    });
  });
}
