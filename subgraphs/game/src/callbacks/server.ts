import { TokenError, type TokenService } from '@rgb/auth';
import { createHttpApp, type Logger, type Metrics, ROUTER_PROOF_HEADER } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import { refusal } from './contract';
import { type CallbackDeps, handleCallback } from './handle';
import { registerIntegrationRoutes, type StaffAccess } from './integration';

export interface CallbackServerOptions {
  deps: CallbackDeps;
  serviceTokens: TokenService;
  staffAccess: StaffAccess;
  metrics: Metrics;
  log: Logger;
  maxBodyBytes: number;
}

/**
 * The provider callback routes, on a listener of their own: the router passes
 * `/callbacks/{provider}/{action}` here with the raw body and headers untouched, plus its proof.
 */
export function createCallbackServer({ deps, serviceTokens, staffAccess, metrics, log, maxBodyBytes }: CallbackServerOptions): FastifyInstance {
  const duration = new Histogram({
    name: 'provider_callback_duration_seconds',
    help: 'Provider callbacks by provider, action and outcome',
    labelNames: ['provider', 'action', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [metrics.registry],
  });
  const app = createHttpApp({ log, metrics, checks: {}, bodyLimit: maxBodyBytes });
  app.removeAllContentTypeParsers();
  // The signature covers the raw bytes: the body is never parsed before it is checked.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error.statusCode === 413) return reply.code(413).send(refusal('INVALID_REQUEST', `the body is larger than ${maxBodyBytes} bytes`).body);
    request.log.error({ err: error }, 'callback failed');
    return reply.code(500).send({ status: 'ERROR', error_code: 'INTERNAL_ERROR', message: 'internal error' });
  });
  app.post<{ Params: { provider: string; action: string } }>('/callbacks/:provider/:action', async (request, reply) => {
    try {
      await serviceTokens.verify(String(request.headers[ROUTER_PROOF_HEADER] ?? ''), ['service']);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return reply.code(401).send({ status: 'ERROR', error_code: 'INVALID_REQUEST', message: 'callbacks come through the router' });
    }
    const started = performance.now();
    const signature = request.headers['x-signature'];
    const response = await handleCallback(
      {
        providerCode: request.params.provider,
        action: request.params.action,
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        signature: typeof signature === 'string' ? signature : undefined,
        log: request.log,
        // With the SDK, request.traceparent is undefined: the undici instrumentation carries the trace.
        context: { requestId: request.id, traceparent: request.traceparent },
      },
      deps,
    );
    const outcome = response.body.status === 'OK' ? 'ok' : String(response.body.error_code);
    duration.observe({ provider: request.params.provider, action: request.params.action, outcome }, (performance.now() - started) / 1000);
    return reply.code(response.status).send(response.body);
  });
  registerIntegrationRoutes(app, deps, staffAccess);
  return app;
}
