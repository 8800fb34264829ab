import type { TokenService } from '@rgb/auth';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';

/** Hop-by-hop headers are the connection's, not the message's: everything else goes through untouched. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'proxy-connection', 'te', 'trailer']);

/** The trace context sent on is the router's (its own, or the instrumentation's), never a second one. */
const TRACE_CONTEXT = new Set(['traceparent', 'tracestate']);

/** A provider signs its body; credentials and the platform's own headers are never a provider's to send. */
const notTheProvidersToSend = (name: string) =>
  HOP_BY_HOP.has(name) || TRACE_CONTEXT.has(name) || name === 'authorization' || name === 'cookie' || name.startsWith('x-rgb-');

export interface CallbackPassthroughOptions {
  /** The game subgraph's callback listener. */
  gameCallbackUrl: string;
  serviceTokens: TokenService;
  bodyLimit: number;
}

/**
 * `POST /callbacks/{provider}/{action}`: passed to the game subgraph with the raw body (its
 * signature covers the bytes) and the headers untouched, plus the router's proof and trace context.
 */
export async function registerCallbackPassthrough(app: FastifyInstance, { gameCallbackUrl, serviceTokens, bodyLimit }: CallbackPassthroughOptions): Promise<() => Promise<void>> {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  let proof: { token: string; renewAt: number } | null = null;
  const routerProof = async () => {
    if (!proof || Date.now() > proof.renewAt) proof = { token: await serviceTokens.signService('router'), renewAt: Date.now() + 120_000 };
    return proof.token;
  };
  await app.register(async (scope) => {
    // Providers read every answer in the callback format of CONTRACT.md, the router's own refusals too.
    scope.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      if (error.statusCode === 413) {
        return reply.code(413).send({ status: 'ERROR', error_code: 'INVALID_REQUEST', message: `the body is larger than ${bodyLimit} bytes` });
      }
      request.log.error({ err: error }, 'callback passthrough failed');
      return reply.code(502).send({ status: 'ERROR', error_code: 'INTERNAL_ERROR', message: 'the callback could not be handled; retry' });
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { provider: string; action: string } }>('/callbacks/:provider/:action', async (incoming, reply) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (!notTheProvidersToSend(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      headers['x-request-id'] = incoming.id;
      if (incoming.traceparent) headers.traceparent = incoming.traceparent;
      headers['x-rgb-router'] = await routerProof();
      const path = `/callbacks/${encodeURIComponent(incoming.params.provider)}/${encodeURIComponent(incoming.params.action)}`;
      const response = await request(`${gameCallbackUrl}${path}`, {
        method: 'POST',
        headers,
        body: Buffer.isBuffer(incoming.body) ? incoming.body : Buffer.alloc(0),
        dispatcher: agent,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      const contentType = response.headers['content-type'];
      if (typeof contentType === 'string') reply.header('content-type', contentType);
      return reply.code(response.statusCode).send(body);
    });
  });
  return () => agent.close();
}
