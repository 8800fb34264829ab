import { readFileSync } from 'node:fs';
import { type DefinitionNode, type DocumentNode, Kind, parse, print, visit } from 'graphql';
import { repositoryPath } from './manifest';

/**
 * The SDL of what every subgraph shares (Money, PageInfo, AuthPayload, LoginInput), found from the
 * repository root rather than this file: compiled, this code sits in each entry's bundle.
 */
export const SHARED_SDL_PATH = repositoryPath('packages/kit/schema/shared.graphql');

let shared: Map<string, DefinitionNode> | undefined;

function sharedDefinitions(): Map<string, DefinitionNode> {
  shared ??= new Map(
    parse(readFileSync(SHARED_SDL_PATH, 'utf8')).definitions.flatMap((definition) => ('name' in definition && definition.name ? [[definition.name.value, definition] as const] : [])),
  );
  return shared;
}

function namedTypes(node: DocumentNode | DefinitionNode): Set<string> {
  const names = new Set<string>();
  visit(node, { NamedType: (type) => void names.add(type.name.value) });
  return names;
}

/**
 * A subgraph's SDL as every reader takes it (its server, its codegen, the router's composition):
 * its own schema.graphql plus the shared definitions it names, and those they name in turn, so a
 * subgraph declares no shared type itself and shows none it does not use.
 */
export function subgraphSdl(schemaPath: string): string {
  const own = readFileSync(schemaPath, 'utf8');
  const document = parse(own);
  const redeclared = document.definitions.flatMap((definition) => ('name' in definition && definition.name && sharedDefinitions().has(definition.name.value) ? [definition.name.value] : []));
  if (redeclared.length > 0) throw new Error(`${schemaPath} declares ${redeclared.join(', ')}, which ${SHARED_SDL_PATH} declares for every subgraph`);
  const included: DefinitionNode[] = [];
  const pending = [...namedTypes(document)];
  const seen = new Set(pending);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const definition = sharedDefinitions().get(name);
    if (!definition) continue;
    included.push(definition);
    for (const next of namedTypes(definition)) {
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(next);
    }
  }
  if (included.length === 0) return own;
  return `${own}\n# Shared (packages/kit/schema/shared.graphql)\n${print({ kind: Kind.DOCUMENT, definitions: included })}\n`;
}
