import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, ErrorCode } from '@rgb/contracts';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';

function isExpected(code: unknown, error: unknown): boolean {
  if (unwrapResolverError(error) instanceof DomainError) return true;
  return typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Expected failures keep their message and code; anything else is masked, so internals
 * (SQL, stack traces, hostnames) never reach a client. The plugin below logs what is masked.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { ...original.details, code: original.code } };
  }
  if (isExpected(formatted.extensions?.code, error)) {
    // Facts such as a balance pass on; where it came from (stack, subgraph name) does not.
    const { stacktrace: _stack, serviceName: _service, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/**
 * Logs every unexpected error with the request's logger (request id, brand) and counts all errors
 * by code. What arrives is not always a GraphQLError: the gateway passes on what a failed fetch
 * threw as it was.
 */
export function errorReportingPlugin(metrics: Metrics): ApolloServerPlugin<{ log: Logger }> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const given = (error as Partial<GraphQLError>).extensions?.code;
            const code = original instanceof DomainError ? original.code : String(given ?? ErrorCode.INTERNAL_SERVER_ERROR);
            metrics.graphqlErrors.inc({ code });
            if (!isExpected(given, error)) {
              (contextValue?.log ?? console).error({ err: original, path: error.path }, 'unexpected GraphQL error');
            }
          }
        },
      };
    },
  };
}
