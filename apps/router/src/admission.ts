import type { ApolloServerPlugin } from '@apollo/server';
import { Histogram, type Registry } from 'prom-client';

/**
 * How long the router takes to decide on an operation: from the start of its GraphQL handling
 * to its query plan (parsed, validated, planned) or, for one refused before that, to its answer.
 * Time spent waiting on subgraphs is not in it: this is the edge's own work.
 */
export function admissionTiming(registry: Registry) {
  const histogram = new Histogram({
    name: 'graphql_admission_seconds',
    help: 'Time to parse, validate and plan an operation, or to refuse it',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  // Keyed by the request's context object, which Apollo's plugins and the gateway's hook share.
  const started = new WeakMap<object, number>();
  const settle = (context: object) => {
    const at = started.get(context);
    if (at === undefined) return;
    started.delete(context);
    histogram.observe((performance.now() - at) / 1000);
  };
  const plugin: ApolloServerPlugin = {
    async requestDidStart({ contextValue }) {
      started.set(contextValue, performance.now());
      return {
        async willSendResponse({ contextValue }) {
          settle(contextValue);
        },
      };
    },
  };
  return { plugin, planned: ({ requestContext }: { requestContext: { context: object } }) => settle(requestContext.context) };
}
