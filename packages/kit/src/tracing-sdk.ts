// Loaded by startTracing only when tracing is on: a process without an exporter never loads the SDK.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { type Context, type Span, trace } from '@opentelemetry/api';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { register as registerImportHooks } from 'import-in-the-middle/register-hooks.mjs';
import { SERVICE_ATTRIBUTE, serviceOf } from './tracing';

/**
 * The modules an ESM `import` must hand to the instrumentations: import-in-the-middle wraps
 * only these (a `require` is caught by require-in-the-middle without it). ioredis is the one
 * that proves it: imported from ESM, it is traced only through this hook.
 */
const HOOKED_MODULES = ['http', 'https', 'node:http', 'node:https', 'pg', 'pg-pool', 'ioredis', 'graphql'];

/** Requests that are not work: health checks, Kubernetes' probes (every 10 s each) and metric scrapes. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/live', '/metrics']);

export interface SdkOptions {
  serviceName: string;
  exporters: string[];
  spanProcessors: SpanProcessor[] | undefined;
  env: NodeJS.ProcessEnv;
}

export async function startSdk({ serviceName, exporters, spanProcessors, env }: SdkOptions): Promise<{ shutdown(): Promise<void> }> {
  // Before any instrumentation subscribes, and before the app imports what they patch.
  registerImportHooks({ include: HOOKED_MODULES });
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: [new ServiceAttribution(), ...(spanProcessors ?? (await exportersFromEnv(exporters, env)).map((exporter) => new BatchSpanProcessor({ exporter })))],
    // Traces only: metrics are Prometheus on METRICS_PORT, logs are pino lines on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(request.url ?? '') }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => UNTRACED_PATHS.has(route.url ?? ''),
        requestHook: (span, request) => attributeRequest(span, request as FastifyRequest),
      }),
      new UndiciInstrumentation(),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      new PrismaInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}

/** The exporters OTEL_TRACES_EXPORTER names; each reads its own OTEL_EXPORTER_OTLP_* settings. */
async function exportersFromEnv(names: string[], env: NodeJS.ProcessEnv): Promise<SpanExporter[]> {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return Promise.all(
    names.map(async (name) => {
      if (name === 'console') return new ConsoleSpanExporter();
      if (protocol === 'grpc') return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
      if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    }),
  );
}

/**
 * An incoming request's spans name the service whose fastify app serves it (its logger's
 * `service`): in the single-process mode every service shares one SDK and one service.name.
 */
function attributeRequest(span: Span, request: FastifyRequest): void {
  const service = serviceOf(request.server.log as Logger);
  if (!service) return;
  span.setAttribute(SERVICE_ATTRIBUTE, service);
  // The http SERVER span around it, still open.
  trace.getActiveSpan()?.setAttribute(SERVICE_ATTRIBUTE, service);
}

/** Every span started under an attributed one carries the same service (a query, a Redis command, a call out). */
class ServiceAttribution implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const parent = trace.getSpan(parentContext) as (Span & Partial<ReadableSpan>) | undefined;
    const service = parent?.attributes?.[SERVICE_ATTRIBUTE];
    if (service !== undefined) span.setAttribute(SERVICE_ATTRIBUTE, service);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
