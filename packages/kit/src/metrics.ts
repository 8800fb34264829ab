import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * One registry per service: the HTTP histogram every service exposes and, unless the service shares
 * its process with others that report them (`processMetrics: false`), the Node process metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly graphqlErrors: Counter<'code'>;

  /** The service these metrics are labelled with. */
  readonly service: string;

  constructor(service: string, { processMetrics = true }: { processMetrics?: boolean } = {}) {
    this.service = service;
    this.registry.setDefaultLabels({ service });
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.graphqlErrors = new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors returned, by extensions.code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }
}
