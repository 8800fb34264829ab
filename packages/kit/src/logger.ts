import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { traceLogFields, tracingActive } from './tracing';

export type { Logger };

/**
 * A service's logger. With tracing on, every line logged inside a span carries its `trace_id`;
 * without, request logs get it from the request's traceparent (createHttpApp). Lines go to
 * stdout unless a `destination` is given (a test reading them).
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    ...(tracingActive() ? { mixin: traceLogFields } : {}),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-rgb-context"]', '*.password'], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}
