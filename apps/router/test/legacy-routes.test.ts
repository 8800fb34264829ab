import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { legacyRoutes } from '../src/legacy/routes';
import { composeSupergraph, readSupergraphConfig } from '../src/supergraph';

/** The legacy REST contract of docs/API.md, written out: every route of it must be in the shims' table. */
const LEGACY_CONTRACT = [
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'GET /api/v1/member/me',
  'GET /api/v1/wallet/balance',
  'GET /api/v1/wallet/history',
  'POST /api/v1/deposit',
  'POST /api/v1/withdraw',
];

let supergraph: GraphQLSchema;
beforeAll(() => {
  supergraph = buildSchema(composeSupergraph(readSupergraphConfig(fileURLToPath(new URL('../../../supergraph.yaml', import.meta.url)), {})));
});

describe('the legacy route table', () => {
  it('holds every route of the legacy contract, once each, and no other', () => {
    expect(legacyRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([...LEGACY_CONTRACT].sort());
  });

  it.each(legacyRoutes.map((route) => [`${route.method} ${route.path}`, route.operation]))('%s: its operation is valid against the composed supergraph', (_route, operation) => {
    expect(validate(supergraph, parse(operation)).map((error) => error.message)).toEqual([]);
  });

  it('would fail on an operation the supergraph no longer serves', () => {
    expect(validate(supergraph, parse('query ($size: Int!) { me { wallet { entries(first: $size) { totalCount } } } }')).map((error) => error.message)).toEqual([
      'Cannot query field "entries" on type "Wallet".',
    ]);
  });
});
