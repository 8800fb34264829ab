import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompositionError, composeSupergraph, readSupergraphConfig } from '../src/supergraph';

const SUPERGRAPH_YAML = fileURLToPath(new URL('../../../supergraph.yaml', import.meta.url));

describe('supergraph.yaml', () => {
  it('composes, with Player fields joined from the player and wallet subgraphs', () => {
    const sdl = composeSupergraph(readSupergraphConfig(SUPERGRAPH_YAML, {}));
    const player = /type Player\s+((?:@join__type\([^)]*\)\s*)+)/.exec(sdl)?.[1] ?? '';
    expect(player).toContain('@join__type(graph: PLAYER, key: "id")');
    expect(player).toContain('@join__type(graph: WALLET, key: "id")');
    expect(player).toContain('@join__type(graph: GAME, key: "id")');
    expect(sdl).toMatch(/wallet: Wallet @join__field\(graph: WALLET\)/);
    expect(sdl).toContain('ADMIN @join__graph(name: "admin", url: "http://127.0.0.1:8016/graphql")');
  });

  it('takes a subgraph URL from SUBGRAPH_<NAME>_URL when set', () => {
    const subgraphs = readSupergraphConfig(SUPERGRAPH_YAML, { SUBGRAPH_WALLET_URL: 'http://wallet:8011/graphql' });
    expect(subgraphs.find((s) => s.name === 'wallet')?.url).toBe('http://wallet:8011/graphql');
    expect(subgraphs.find((s) => s.name === 'player')?.url).toBe('http://127.0.0.1:8010/graphql');
  });

  it('stops with every composition error listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
    writeFileSync(join(dir, 'a.graphql'), `${link}\ntype Query { a: Thing }\ntype Thing @key(fields: "id") { id: ID! size: Int }`);
    writeFileSync(join(dir, 'b.graphql'), `${link}\ntype Query { b: Thing }\ntype Thing @key(fields: "id") { id: ID! size: String }`);
    writeFileSync(
      join(dir, 'supergraph.yaml'),
      ['subgraphs:', '  a:', '    routing_url: http://a/graphql', '    schema: { file: ./a.graphql }', '  b:', '    routing_url: http://b/graphql', '    schema: { file: ./b.graphql }'].join('\n'),
    );
    const compose = () => composeSupergraph(readSupergraphConfig(join(dir, 'supergraph.yaml'), {}));
    expect(compose).toThrow(CompositionError);
    expect(compose).toThrow(/Thing\.size/);
  });
});
