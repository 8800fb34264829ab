import { TokenError, type TokenService } from '@rgb/auth';
import { DomainError, ErrorCode } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { createHttpApp, type Logger, type Metrics, ROUTER_PROOF_HEADER } from '@rgb/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram } from 'prom-client';
import { Refused, refusal, type WebhookAnswer } from './answers';
import { receiveSms } from './sms';
import { receiveTelegramUpdate } from './telegram';

export interface WebhookServerOptions {
  prisma: PrismaClient;
  serviceTokens: TokenService;
  metrics: Metrics;
  log: Logger;
  smsSecret: string;
  telegramSecret: string;
  maxBodyBytes: number;
}

type Receive = (rawBody: Buffer, request: FastifyRequest) => Promise<WebhookAnswer>;

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The bank-text webhooks, on a listener of their own: the router passes `/webhooks/{source}`
 * here with the raw body (the SMS signature covers its bytes) and the headers untouched, plus its proof.
 */
export function createWebhookServer({ prisma, serviceTokens, metrics, log, smsSecret, telegramSecret, maxBodyBytes }: WebhookServerOptions): FastifyInstance {
  const duration = new Histogram({
    name: 'recon_webhook_duration_seconds',
    help: 'Bank-text webhooks by route and outcome (accepted, duplicate, ignored, or the refusal code)',
    labelNames: ['route', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [metrics.registry],
  });
  const app = createHttpApp({ log, metrics, checks: {}, bodyLimit: maxBodyBytes });
  app.removeAllContentTypeParsers();
  // The signature covers the raw bytes: the body is never parsed before it is checked.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const send = (request: FastifyRequest, reply: FastifyReply, answer: WebhookAnswer) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ route, outcome: answer.outcome }, reply.elapsedTime / 1000);
    if (answer.status >= 400 && answer.status < 500) request.log.warn({ route, outcome: answer.outcome, reason: (answer.body.error as { message: string }).message }, 'webhook refused');
    return reply.code(answer.status).send(answer.body);
  };
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error.statusCode === 413) return send(request, reply, refusal('PAYLOAD_TOO_LARGE', `the body is larger than ${maxBodyBytes} bytes`));
    request.log.error({ err: error }, 'webhook failed');
    return send(request, reply, refusal('INTERNAL_SERVER_ERROR', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => send(request, reply, refusal('NOT_FOUND', `no webhook at ${request.method} ${request.url}`)));

  const route = (path: string, receive: Receive) => app.post(path, async (request, reply) => send(request, reply, await answerOf(request, receive)));
  const answerOf = async (request: FastifyRequest, receive: Receive): Promise<WebhookAnswer> => {
    try {
      await serviceTokens.verify(header(request, ROUTER_PROOF_HEADER) ?? '', ['service']);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return refusal('UNAUTHENTICATED', 'webhooks come through the router');
    }
    try {
      return await receive(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), request);
    } catch (error) {
      if (error instanceof Refused) return error.answer;
      if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) return refusal('FORBIDDEN', error.message);
      throw error;
    }
  };
  route('/webhooks/sms', (rawBody, request) => receiveSms(prisma, smsSecret, rawBody, header(request, 'x-signature')));
  route('/webhooks/telegram', (rawBody, request) => receiveTelegramUpdate(prisma, telegramSecret, rawBody, header(request, 'x-telegram-bot-api-secret-token')));
  return app;
}
