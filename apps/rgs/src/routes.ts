import { clientSeedSchema, OPERATOR_KEY_HEADER, rgsLaunchRequest, sessionTokenSchema } from '@rgb/contracts';
import type { GcraLimiter, RatePolicy } from '@rgb/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listAudit } from './audit';
import { type BetDeps, placeBet } from './bets';
import { RgsError } from './errors';
import { type Operator, operatorByKey } from './operators';
import { parseBody } from './parse';
import { acknowledgeRealityCheck, playerLimits, selfExclude, setPlayerLimits } from './responsible-gaming';
import { roundOf, rotateSeeds } from './seeds';
import { launchSession, revokeSession, type SessionDeps, verifySession } from './sessions';
import { type EventStreams, resumePoint } from './stream';
import { listWebhooks, retryWebhook } from './webhooks';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator whose X-Operator-Key the request carries (every route but /health). */
    operator: Operator | null;
  }
}

export interface RouteDeps extends BetDeps, SessionDeps {
  /** Per operator, shared by every instance through Redis. */
  rateLimiter: GcraLimiter;
  ratePolicy: RatePolicy;
  streams: EventStreams;
}

const sessionRequest = z.object({ session_token: sessionTokenSchema });
const rotateRequest = sessionRequest.extend({ client_seed: clientSeedSchema.optional() });

function refusal(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

/**
 * The RGS operator API (docs/api/rgs-operators.md): thin handlers over the domain modules. Every
 * route but /health needs an operator's key, and every query below it is scoped to that operator.
 */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.decorateRequest('operator', null);
  app.addHook('onResponse', async (request, reply) => {
    // The route's template (`/rounds/:id`), never the raw URL: one series per route, whatever the ids.
    deps.metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
  });
  app.setNotFoundHandler((_request, reply) => refusal(reply, 404, 'NOT_FOUND', 'no such route'));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof RgsError) return refusal(reply, error.status, error.code, error.message);
    // Fastify's own refusals of the request itself: malformed JSON, a body too large, a media type it does not take.
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return refusal(reply, error.statusCode, 'INVALID_REQUEST', error.message);
    request.log.error({ err: error }, 'request failed');
    return refusal(reply, 500, 'INTERNAL_ERROR', 'internal error');
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers[OPERATOR_KEY_HEADER];
    const operator = typeof key === 'string' && key ? await operatorByKey(deps.prisma, key) : null;
    if (!operator) return refusal(reply, 401, 'UNAUTHENTICATED', `a valid ${OPERATOR_KEY_HEADER} header is required`);
    request.operator = operator;
    request.log = request.log.child({ operator: operator.code });
    let waitMs: number;
    try {
      waitMs = await deps.rateLimiter.waitMs(`rgs:rate:${operator.id}`, deps.ratePolicy);
    } catch (error) {
      // An outage of the limiter must not stop the games: logged, and the request let through.
      request.log.error({ err: error }, 'rate limit check failed; letting the request through');
      return;
    }
    if (waitMs > 0) {
      reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      return refusal(reply, 429, 'RATE_LIMITED', 'too many requests of this operator: retry after the Retry-After seconds');
    }
  };

  app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    api.post('/sessions/launch', (request) => launchSession(deps, request.operator!, parseBody(rgsLaunchRequest, request.body), request.id));
    api.post('/sessions/verify', (request) => verifySession(deps, request.operator!, parseBody(sessionRequest, request.body).session_token));
    api.post('/sessions/revoke', (request) => revokeSession(deps, request.operator!, parseBody(sessionRequest, request.body).session_token, request.id));
    api.post('/bets', (request) => {
      const key = request.headers['idempotency-key'];
      return placeBet(deps, request.operator!, typeof key === 'string' ? key : undefined, request.body, { requestId: request.id, traceparent: request.traceparent });
    });
    api.get<{ Params: { id: string } }>('/rounds/:id', (request) => roundOf(deps, request.operator!, request.params.id));
    api.post('/seeds/rotate', (request) => rotateSeeds(deps, request.operator!, parseBody(rotateRequest, request.body), request.id));
    api.get('/audit', (request) => listAudit(deps.prisma, request.operator!, request.query));
    api.get('/webhooks', (request) => listWebhooks(deps.prisma, request.operator!, request.query));
    api.post<{ Params: { id: string } }>('/webhooks/:id/retry', (request) => retryWebhook(deps.prisma, request.operator!, request.params.id, request.id));
    api.get('/stream', (request, reply) => deps.streams.serve(request.operator!, resumePoint(request), request, reply));
    // Responsible gaming (responsible-gaming.ts).
    type PlayerRoute = { Params: { player_id: string } };
    api.get<PlayerRoute>('/players/:player_id/limits', (request) => playerLimits(deps, request.operator!, request.params.player_id));
    api.put<PlayerRoute>('/players/:player_id/limits', (request) => setPlayerLimits(deps, request.operator!, request.params.player_id, request.body, request.id));
    api.post<PlayerRoute>('/players/:player_id/self-exclusion', (request) => selfExclude(deps, request.operator!, request.params.player_id, request.body, request.id));
    api.post('/sessions/reality-check', (request) => acknowledgeRealityCheck(deps, request.operator!, request.body, request.id));
  });
}
