import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ErrorCode } from '@rgb/contracts';
import { type ExecutionResult, type FormattedExecutionResult, GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { formatError } from './graphql-errors';
import { CONTEXT_HEADER, type ContextTokens, type ForwardedContext } from './request-context';

/** What a subscription's context is built from: the connection's signed context, an id of its own, its logger. */
export interface SubscriptionRequest {
  requestId: string;
  forwarded: ForwardedContext;
  log: Logger;
}

export interface SubscriptionServer {
  /** Closes every connection with 1001 (going away), which ends their subscriptions, and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Masks what a client must not see, as the HTTP path does, and logs what was masked. The
 * result keeps its data: a failed field does not end the stream.
 */
export function formatResult(result: ExecutionResult, log: Logger): FormattedExecutionResult {
  if (!result.errors) return result as FormattedExecutionResult;
  const errors = result.errors.map((error) => {
    // An executor may pass on a subgraph's errors as the plain objects they arrived as.
    const formatted = formatError(error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError), error);
    if (formatted.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR) log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected GraphQL error');
    return formatted;
  });
  return { ...result, errors };
}

/**
 * A subgraph's subscriptions over graphql-ws on `path` of `server` (beside Apollo's HTTP). Like
 * every request to a subgraph, a connection must carry the router's signed context, in its
 * `connection_init` payload under `x-rgb-context`; without a valid one it is closed with 4403.
 */
export function serveSubscriptions<Context>(options: {
  server: Server;
  path: string;
  schema: GraphQLSchema;
  contextTokens: ContextTokens;
  log: Logger;
  context: (request: SubscriptionRequest) => Context;
}): SubscriptionServer {
  const { server, path, schema, contextTokens, log } = options;
  const sockets = new WebSocketServer({ server, path });
  const served = useServer<Record<string, unknown>, { forwarded: ForwardedContext; log: Logger }>(
    {
      schema,
      onConnect: async (ctx) => {
        const token = ctx.connectionParams?.[CONTEXT_HEADER];
        try {
          ctx.extra.forwarded = await contextTokens.verify(typeof token === 'string' ? token : undefined);
        } catch (error) {
          log.warn({ reason: (error as Error).message }, 'refused a subscription connection without valid router proof');
          return false;
        }
        ctx.extra.log = log.child({ brand: ctx.extra.forwarded.brand.code });
        return true;
      },
      context: (ctx) => {
        const requestId = randomUUID();
        return options.context({ requestId, forwarded: ctx.extra.forwarded!, log: ctx.extra.log!.child({ request_id: requestId }) }) as never;
      },
      onNext: (ctx, _id, _payload, _args, result) => formatResult(result, ctx.extra.log ?? log),
    },
    sockets,
  );
  return {
    close: () => served.dispose() as Promise<void>,
  };
}
