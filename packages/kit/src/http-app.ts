import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';
import { childTraceparent, traceIdOf, tracingActive } from './tracing';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Without the SDK, the trace context this request carries by hand (undefined with the SDK,
     * whose active span is the trace context, and when the caller sent none).
     */
    readonly traceparent: string | undefined;
  }
}

/** Where a raw request keeps the traceparent its logger was made with. */
const CARRIED = Symbol('traceparent');
type Carrier = { [CARRIED]?: string };

/** A health check: resolves when the dependency answers, throws with the reason otherwise. */
export type HealthCheck = () => Promise<void>;

export interface HttpAppOptions<Check extends string = string> {
  log: Logger;
  metrics: Metrics;
  checks: Record<Check, HealthCheck>;
  /**
   * Checks /health reports but /ready does not wait for: failures that taking this pod out of
   * traffic cannot fix and that every replica shares (a dependency the process serves around, a
   * failure that needs a person).
   */
  informational?: readonly NoInfer<Check>[];
  /** Facts added to every /health answer (a worker's loops, dead letters...). */
  details?: () => Record<string, unknown>;
  bodyLimit?: number;
  /** Proxies in front whose X-Forwarded-For names the client (`request.ip`); 0 or absent: none. */
  trustProxyHops?: number;
  /** The edge: without the SDK, each request gets a traceparent of its own, continuing the caller's trace or starting one. */
  startsTraces?: boolean;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;
const CHECK_TIMEOUT_MS = 2_000;

/** Probed often, so not logged per request. */
const PROBES = new Set(['/health', '/ready', '/live']);

/**
 * The HTTP shell every process shares: request ids (the caller's when well-formed), pino
 * request logs with the request's trace id, the latency histogram and the probes:
 * - `GET /health`: every check (200, or 503 naming each failure), for compose, the launcher and monitoring;
 * - `GET /ready`: the checks that gate traffic (all but `informational`), for a readiness probe;
 * - `GET /live`: 200 while the process serves HTTP, no dependency asked, for liveness and startup probes.
 * `/metrics` is not here but on the process's metrics listener (createMetricsApp).
 */
export function createHttpApp<Check extends string>({
  log,
  metrics,
  checks,
  informational = [],
  details,
  bodyLimit,
  trustProxyHops,
  startsTraces,
}: HttpAppOptions<Check>): FastifyInstance {
  const unknown = informational.filter((name) => !Object.hasOwn(checks, name));
  if (unknown.length > 0) throw new Error(`informational names no check: ${unknown.join(', ')}`);
  const allChecks = Object.entries<HealthCheck>(checks);
  const gatingChecks = allChecks.filter(([name]) => !informational.includes(name as Check));
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Requests are logged once, on response, by the hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: bodyLimit ?? 1024 * 1024,
    forceCloseConnections: 'idle',
    trustProxy: (_address: string, hop: number) => hop < (trustProxyHops ?? 0),
    return503OnClosing: true,
    // Without the SDK, the trace id goes into the request's logger as fastify makes it (with the
    // SDK, createLogger's mixin takes it from the active span).
    ...(tracingActive()
      ? {}
      : {
          childLoggerFactory: (logger, bindings, options, raw) => {
            const given = raw.headers.traceparent;
            const incoming = typeof given === 'string' && traceIdOf(given) ? given : undefined;
            const traceparent = startsTraces ? childTraceparent(incoming) : incoming;
            (raw as Carrier)[CARRIED] = traceparent;
            return logger.child(traceparent ? { ...bindings, trace_id: traceIdOf(traceparent) } : bindings, options);
          },
        }),
  });
  app.decorateRequest('traceparent', {
    getter(this: FastifyRequest) {
      return (this.raw as Carrier)[CARRIED];
    },
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (!PROBES.has(route)) {
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
    }
  });

  const answer = async (selected: [string, HealthCheck][], reply: FastifyReply) => {
    const failures: string[] = [];
    await Promise.all(
      selected.map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
        } catch (error) {
          // One line: Prisma's messages open with a generic line and end with the cause.
          const lines = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => line.trim());
          failures.push(`${name}: ${lines.at(-1)?.trim() ?? 'failed'}`);
        }
      }),
    );
    if (failures.length > 0) return reply.code(503).send({ status: 'unavailable', reason: failures.join('; '), ...details?.() });
    return { status: 'ok', ...details?.() };
  };
  app.get('/health', (_request, reply) => answer(allChecks, reply));
  app.get('/ready', (_request, reply) => answer(gatingChecks, reply));
  app.get('/live', async () => ({ status: 'ok' }));

  return app;
}

/**
 * `GET /metrics` of a process's registry and nothing else, for a port of its own
 * (METRICS_PORT): scrapers reach it inside the network, while the router's public port, and every
 * app port, answers 404 there.
 */
export function createMetricsApp(metrics: Metrics, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // A scraper's keep-alive connection must not hold up the process's shutdown.
    forceCloseConnections: true,
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
