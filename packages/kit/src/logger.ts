import { pino, type Logger } from 'pino';
import { traceLogFields, tracingActive } from './tracing';

export type { Logger };

/**
 * A service's logger. With tracing on, every line logged inside a span carries its `trace_id`;
 * without, request logs get it from the request's traceparent (createHttpApp).
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    ...(tracingActive() ? { mixin: traceLogFields } : {}),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-rgb-context"]', '*.password'], remove: true },
  });
}
