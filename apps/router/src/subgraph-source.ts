import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ErrorCode } from '@rgb/contracts';
import { CONTEXT_HEADER, type Logger } from '@rgb/kit';
import { Kind, parse, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { SubgraphFetcher } from './subgraph-fetcher';

/** What a subgraph request needs of the router's per-request context. */
export interface SubgraphRequestContext {
  requestId: string;
  contextToken: string;
  traceparent: string | undefined;
  log: Logger;
}

const UNAVAILABLE_MESSAGE = 'temporarily unavailable; try again later';

/**
 * One subgraph as the gateway calls it, with the router's signed context. A request that gets
 * no GraphQL answer (subgraph down, timeout, an HTTP error) fails only the fields that request
 * was to fill: each gets a SERVICE_UNAVAILABLE error at its own path and the rest of the answer
 * stands. The failure is logged here, once, with what happened (it never reaches the client).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<SubgraphRequestContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    fetcher: SubgraphFetcher,
  ) {
    super({ url, fetcher: fetcher as never });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<SubgraphRequestContext>) {
    request.http?.headers.set(CONTEXT_HEADER, context.contextToken);
    request.http?.headers.set('x-request-id', context.requestId);
    if (context.traceparent) request.http?.headers.set('traceparent', context.traceparent);
  }

  override async process(options: GraphQLDataSourceProcessOptions<SubgraphRequestContext>) {
    try {
      return await super.process(options);
    } catch (error) {
      if (!('incomingRequestContext' in options)) throw error; // not a client's operation
      options.context.log.error({ err: error, subgraph: this.subgraph }, 'subgraph request failed');
      const document = options.document ?? parse(options.request.query!);
      const representations = options.request.variables?.representations;
      const paths = requestedPaths(document, Array.isArray(representations) ? representations.length : 0);
      return { errors: paths.map((path) => ({ message: UNAVAILABLE_MESSAGE, path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } })) };
    }
  }
}

/**
 * The paths, in the subgraph's answer, of the fields a subgraph operation asks for: its root
 * fields, or for an entity fetch each field of each entity (`_entities.<i>.<field>`), which the
 * gateway maps back onto the client's response.
 */
export function requestedPaths(document: DocumentNode, entityCount: number): (string | number)[][] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fieldsOf = (selectionSet: SelectionSetNode, found = new Map<string, FieldNode>()): Map<string, FieldNode> => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') found.set(selection.alias?.value ?? selection.name.value, selection);
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
        if (inner) fieldsOf(inner, found);
      }
    }
    return found;
  };
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  const roots = fieldsOf(operation.selectionSet);
  const entities = roots.get('_entities');
  if (roots.size !== 1 || !entities?.selectionSet) return [...roots.keys()].map((name) => [name]);
  const fields = [...fieldsOf(entities.selectionSet).keys()];
  return Array.from({ length: entityCount }, (_, index) => fields.map((field) => ['_entities', index, field])).flat();
}
