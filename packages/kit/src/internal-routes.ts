import { DomainError, describeIssues, type AnyRoute, REFUSAL_STATUS, type RefusalCode, type RouteRequest, type RouteWireResponse } from '@rgb/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type RouteHandler<R extends AnyRoute> = (request: RouteRequest<R>, http: FastifyRequest) => Promise<RouteWireResponse<R>>;

/**
 * Serves one `/internal/*` route as its contract describes it: the request parsed with the
 * route's schema (refused 400 BAD_USER_INPUT), a DomainError the contract names answered with its
 * status and details; any other failure is a fault (500).
 */
export function serveRoute<R extends AnyRoute>(app: FastifyInstance, route: R, handler: RouteHandler<R>): void {
  const fromBody = route.method === 'POST';
  const input =
    route.pathParams.length === 0
      ? (request: FastifyRequest) => (fromBody ? request.body : request.query)
      : (request: FastifyRequest) => ({ ...(fromBody ? (request.body as object) : (request.query as object)), ...(request.params as object) });
  const refusals = new Set<string>(route.errors);
  app.route({
    method: route.method,
    url: route.path,
    handler: async (request, reply) => {
      const parsed = route.request.safeParse(input(request));
      if (!parsed.success) return refuse(reply, 'BAD_USER_INPUT', describeIssues(parsed.error));
      try {
        return await handler(parsed.data as RouteRequest<R>, request);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (!refusals.has(error.code)) throw new Error(`${route.name} refused with ${error.code}, which its contract does not name: ${error.message}`, { cause: error });
        return refuse(reply, error.code as RefusalCode, error.message, error.details);
      }
    },
  });
}

function refuse(reply: FastifyReply, code: RefusalCode, message: string, details: Record<string, string | number> = {}) {
  return reply.code(REFUSAL_STATUS[code]).send({ error: { code, message, ...details } });
}

/** The answer of an `/internal/*` request that failed outside its route's contract: a body fastify refused, or a fault. */
export function internalErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: { code: 'BAD_REQUEST', message: error.message } });
  request.log.error({ err: error }, 'internal call failed');
  return reply.code(500).send({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
}
