import { CONTEXT_HEADER, ContextTokens, type ForwardedContext } from './request-context';
import { loadSubgraphConfig, startSubgraph, type StartedSubgraph } from './service';
import type { SubgraphDefinition } from './subgraph-server';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

export interface TestSubgraph extends StartedSubgraph {
  /** Sends an operation over real HTTP with a context token signed as the router would sign it. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> | undefined,
    context: ForwardedContext | null,
  ): Promise<GraphQLResponse<T>>;
}

/** A subgraph listening on a free port against `databaseUrl`, as the integration tests use it. */
export async function startTestSubgraph<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  databaseUrl: string,
): Promise<TestSubgraph> {
  const config = loadSubgraphConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '4' });
  const server = await startSubgraph(definition, config);
  const contextTokens = new ContextTokens(config.INTERNAL_JWT_SECRET, 'test');
  return {
    ...server,
    async graphql(query, variables, context) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (context) headers[CONTEXT_HEADER] = await contextTokens.sign(context);
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] } as never;
    },
  };
}
