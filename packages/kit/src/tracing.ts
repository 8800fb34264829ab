import { randomBytes } from 'node:crypto';
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loadConfig } from './config';

const EXPORTERS = 'otlp|console|none';
const exporterList = new RegExp(`^\\s*(${EXPORTERS})(\\s*,\\s*(${EXPORTERS}))*\\s*$`);

/** An endpoint set to the empty string is unset, as the SDK reads it: compose passes `${X:-}` through empty when off. */
const endpoint = z.preprocess((value) => (value === '' ? undefined : value), z.url().optional());

/** The OTEL_* variables that decide whether this process traces at all; the SDK reads the rest itself. */
export const tracingEnv = z.object({
  OTEL_SDK_DISABLED: z.stringbool().default(false),
  OTEL_TRACES_EXPORTER: z.string().regex(exporterList, 'must be a comma-separated list of otlp, console, none').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});
export type TracingConfig = z.infer<typeof tracingEnv>;

/** The exporters the configuration names: OTEL_TRACES_EXPORTER, or `otlp` when only an OTLP endpoint is set; none otherwise. */
export function configuredExporters(config: TracingConfig): string[] {
  if (config.OTEL_SDK_DISABLED) return [];
  if (config.OTEL_TRACES_EXPORTER !== undefined) {
    return [...new Set(config.OTEL_TRACES_EXPORTER.split(',').map((name) => name.trim()))].filter((name) => name !== 'none');
  }
  return config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp'] : [];
}

export interface TracingOptions {
  /** The resource's service.name when OTEL_SERVICE_NAME is unset. */
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /** Used instead of the exporters OTEL_TRACES_EXPORTER names (a test's in-memory exporter); tracing then starts whatever the variables say. */
  spanProcessors?: SpanProcessor[];
}

let running: { shutdown(): Promise<void> } | null = null;

/**
 * Starts the one OpenTelemetry SDK of this process, with the instrumentations, when an exporter
 * is configured; resolves false and loads nothing of the SDK otherwise. Call it before the
 * instrumented libraries (http, fastify, undici, pg, ioredis, graphql, Prisma) are imported:
 * from `node --import @rgb/kit/tracing-register`, or first thing in a process that imports
 * them afterwards. A second call is a no-op that resolves true.
 */
export async function startTracing({ serviceName, env = process.env, spanProcessors }: TracingOptions): Promise<boolean> {
  if (running) return true;
  const config = loadConfig(tracingEnv, { env });
  const exporters = configuredExporters(config);
  if (!spanProcessors && exporters.length === 0) return false;
  const { startSdk } = await import('./tracing-sdk');
  running = await startSdk({ serviceName: config.OTEL_SERVICE_NAME ?? serviceName, exporters, spanProcessors, env });
  return true;
}

/** Exports what is buffered and stops the SDK; nothing when tracing never started. */
export async function stopTracing(): Promise<void> {
  const sdk = running;
  running = null;
  await sdk?.shutdown();
}

/** Whether this process runs the SDK: spans, not the hand-made traceparent, then carry the trace. */
export function tracingActive(): boolean {
  return running !== null;
}

/**
 * The span attribute naming the service a span belongs to. Each process's resource names its
 * service (service.name), but in the single-process mode all services share one SDK: this
 * attribute still tells them apart, on every span.
 */
export const SERVICE_ATTRIBUTE = 'rgb.service';

const services = new WeakMap<object, string | undefined>();

/** The service a logger logs for (createLogger's `service`), remembered per logger. */
export function serviceOf(log: Pick<Logger, 'bindings'>): string | undefined {
  if (!services.has(log)) services.set(log, log.bindings().service as string | undefined);
  return services.get(log);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace id of a W3C traceparent, or undefined when it is absent or malformed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

/**
 * Without the SDK, the trace context a process carries by hand so logs and event envelopes
 * still correlate: a traceparent continuing the caller's trace (or a new one) with a span id of
 * this hop's own.
 */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const random = randomBytes(24).toString('hex');
  return `00-${match?.[1] ?? random.slice(16)}-${random.slice(0, 16)}-${match?.[3] ?? '01'}`;
}

/** The W3C traceparent of the active span, when the SDK runs and a span is active. */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !isSpanContextValid(span)) return undefined;
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Pino mixin: the active span's trace id on every line logged while it is active. */
export function traceLogFields(): { trace_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId } : {};
}

/**
 * One PRODUCER span per message sent, each in the trace its message carries (its traceparent),
 * spanning `startTime` to now: how long the message waited to be published shows in its request's
 * trace beside the consumer's span. Nothing without the SDK.
 */
export function recordProducerSpans(name: string, messages: { traceparent: string | undefined; attributes: Attributes }[], startTime: number): void {
  if (!running) return;
  const tracer = trace.getTracer('@rgb/kit');
  for (const { traceparent, attributes } of messages) {
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes, startTime }, parent).end();
  }
}

/**
 * Runs `handle` for one consumed event: with the SDK, inside a CONSUMER span whose parent is the
 * event's traceparent, so the work joins the trace of the request that caused the event; without
 * it, as is (`attributes` is then never called).
 */
export async function withConsumerSpan<T>(name: string, traceparent: string | undefined, attributes: () => Attributes, handle: () => Promise<T>): Promise<T> {
  if (!running) return handle();
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const span = trace.getTracer('@rgb/kit').startSpan(name, { kind: SpanKind.CONSUMER, attributes: attributes() }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), handle);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** What a piece of work adds to its span (withSpan): attributes, and that it failed. Nothing without the SDK. */
export interface SpanNotes {
  set(attributes: Attributes): void;
  fail(message: string): void;
}

const NO_SPAN: SpanNotes = { set() {}, fail() {} };

/**
 * Runs `work` in a span of its own under the active one (a request's, or none: then it starts a
 * trace), so what it calls out to (an HTTP client, a query) hangs under it and carries its trace on;
 * `work` notes what came of it. A thrown error fails the span. Without the SDK, `work` runs as is.
 */
export async function withSpan<T>(name: string, attributes: Attributes, work: (span: SpanNotes) => Promise<T>): Promise<T> {
  if (!running) return work(NO_SPAN);
  return trace.getTracer('@rgb/kit').startActiveSpan(name, { attributes }, async (span: Span) => {
    const notes: SpanNotes = {
      set: (more) => void span.setAttributes(more),
      fail: (message) => void span.setStatus({ code: SpanStatusCode.ERROR, message }),
    };
    try {
      return await work(notes);
    } catch (error) {
      span.recordException(error as Error);
      notes.fail((error as Error).message);
      throw error;
    } finally {
      span.end();
    }
  });
}
