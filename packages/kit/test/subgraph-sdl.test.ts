import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { subgraphSdl } from '../src/subgraph-sdl';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])';
const schemaFile = (sdl: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'subgraph-sdl-')), 'schema.graphql');
  writeFileSync(path, `${LINK}\n${sdl}`);
  return path;
};
const typeNames = (sdl: string) => parse(sdl).definitions.flatMap((definition) => ('name' in definition && definition.name ? [definition.name.value] : []));

describe('subgraphSdl', () => {
  it('adds the shared types the subgraph names, and no other', () => {
    const sdl = subgraphSdl(schemaFile('type Query { page: Page! }\ntype Page { amount: Money! pageInfo: PageInfo! }'));
    expect(typeNames(sdl).sort()).toEqual(['Money', 'Page', 'PageInfo', 'Query']);
    expect(sdl).toContain('type PageInfo @shareable');
  });

  it('gives the wallet and game subgraphs the one Money and PageInfo, and admin and player the one AuthPayload and LoginInput', () => {
    const names = (subgraph: string) => typeNames(subgraphSdl(fileURLToPath(new URL(`../../../subgraphs/${subgraph}/schema.graphql`, import.meta.url))));
    for (const subgraph of ['wallet', 'game']) expect(names(subgraph)).toEqual(expect.arrayContaining(['Money', 'PageInfo']));
    for (const subgraph of ['admin', 'player']) expect(names(subgraph)).toEqual(expect.arrayContaining(['AuthPayload', 'LoginInput']));
    expect(names('player')).not.toContain('Money');
    expect(names('wallet')).not.toContain('AuthPayload');
  });

  it('leaves a schema that names no shared type as it is', () => {
    const path = schemaFile('type Query { ping: String }');
    expect(subgraphSdl(path)).toBe(`${LINK}\ntype Query { ping: String }`);
  });

  it('refuses a subgraph that declares a shared type itself', () => {
    const path = schemaFile('type Query { page: PageInfo }\ntype PageInfo { hasNextPage: Boolean! }');
    expect(() => subgraphSdl(path)).toThrow(/declares PageInfo, which .*shared\.graphql declares for every subgraph/);
  });
});
