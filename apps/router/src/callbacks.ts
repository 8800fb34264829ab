import type { TokenService } from '@rgb/auth';
import { ROUTER_PROOF_HEADER } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';

/** Hop-by-hop headers are the connection's, not the message's: everything else goes through untouched. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'proxy-connection', 'te', 'trailer', 'expect']);

/** The trace context sent on is the router's (its own, or the instrumentation's), never a second one. */
const TRACE_CONTEXT = new Set(['traceparent', 'tracestate']);

/** A sender signs its body; credentials and the platform's own headers are never a sender's to send. */
const notTheSendersToSend = (name: string) =>
  HOP_BY_HOP.has(name) || TRACE_CONTEXT.has(name) || name === 'authorization' || name === 'cookie' || name.startsWith('x-rgb-');

/** Why the router answers a passed-through request itself. */
export type PassthroughRefusal = 'TOO_LARGE' | 'UNREACHABLE';

/** Requests the router passes to a listener behind it, as they came. */
export interface PassthroughTarget {
  /** The route, with its `:params` (each passed on encoded). */
  route: string;
  /** The listener's base URL. */
  url: string;
  /** The router's own answer, in the format the senders of `route` read. */
  refusal(reason: PassthroughRefusal, bodyLimit: number): Record<string, unknown>;
}

/** `POST /callbacks/{provider}/{action}` → the game subgraph's callback listener; refusals in the callback format providers rely on (docs/api/providers.md). */
export const providerCallbacks = (gameCallbackUrl: string): PassthroughTarget => ({
  route: '/callbacks/:provider/:action',
  url: gameCallbackUrl,
  refusal: (reason, bodyLimit) =>
    reason === 'TOO_LARGE'
      ? { status: 'ERROR', error_code: 'INVALID_REQUEST', message: `the body is larger than ${bodyLimit} bytes` }
      : { status: 'ERROR', error_code: 'INTERNAL_ERROR', message: 'the callback could not be handled; retry' },
});

/** `POST /webhooks/{source}` (sms, telegram) → the recon subgraph's webhook listener; refusals as every platform API's. */
export const bankTextWebhooks = (reconWebhookUrl: string): PassthroughTarget => ({
  route: '/webhooks/:source',
  url: reconWebhookUrl,
  refusal: (reason, bodyLimit) => ({
    error:
      reason === 'TOO_LARGE'
        ? { code: 'PAYLOAD_TOO_LARGE', message: `the body is larger than ${bodyLimit} bytes` }
        : { code: 'SERVICE_UNAVAILABLE', message: 'the webhook could not be handled; retry' },
  }),
});

export interface PassthroughOptions {
  targets: PassthroughTarget[];
  serviceTokens: TokenService;
  bodyLimit: number;
}

/**
 * `POST` on each target's route: passed to its listener with the raw body (a signature covers
 * the bytes) and the headers untouched, plus the router's proof and trace context.
 */
export async function registerPassthroughs(app: FastifyInstance, { targets, serviceTokens, bodyLimit }: PassthroughOptions): Promise<() => Promise<void>> {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  let proof: { token: string; renewAt: number } | null = null;
  const routerProof = async () => {
    if (!proof || Date.now() > proof.renewAt) proof = { token: await serviceTokens.signService('router'), renewAt: Date.now() + 120_000 };
    return proof.token;
  };
  for (const target of targets) {
    await app.register(async (scope) => {
      // The senders read every answer in their own format, the router's own refusals too.
      scope.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        if (error.statusCode === 413) return reply.code(413).send(target.refusal('TOO_LARGE', bodyLimit));
        request.log.error({ err: error, route: target.route }, 'passthrough failed');
        return reply.code(502).send(target.refusal('UNREACHABLE', bodyLimit));
      });
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
      scope.post<{ Params: Record<string, string> }>(target.route, async (incoming, reply) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (!notTheSendersToSend(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        headers['x-request-id'] = incoming.id;
        if (incoming.traceparent) headers.traceparent = incoming.traceparent;
        headers[ROUTER_PROOF_HEADER] = await routerProof();
        const path = target.route.replace(/:(\w+)/g, (_, param: string) => encodeURIComponent(incoming.params[param] ?? ''));
        const response = await request(`${target.url}${path}`, {
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
  }
  return () => agent.close();
}
