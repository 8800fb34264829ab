import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { failureOf, LegacyFailure } from '../src/legacy/envelope';
import { legacyRoutes } from '../src/legacy/routes';
import { composeSupergraph, readSupergraphConfig } from '../src/supergraph';

/** The legacy REST contract of docs/api/legacy-clients.md, written out: every route of it must be in the shims' table. */
const LEGACY_CONTRACT = [
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'GET /api/v1/member/me',
  'GET /api/v1/wallet/balance',
  'GET /api/v1/wallet/history',
  'POST /api/v1/deposit',
  'POST /api/v1/withdraw',
  'POST /api/v1/agent/auth/login',
  'GET /api/v1/agent/me',
  'GET /api/v1/agent/wallet/history',
  'GET /api/v1/agent/players',
  'GET /api/v1/agent/sub-agents',
  'GET /api/v1/agent/withdrawals',
  'POST /api/v1/agent/withdraw',
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

describe('the legacy error mapping', () => {
  it('gives each known code its status and legacy code, keeping the message', () => {
    expect(failureOf(new LegacyFailure('INSUFFICIENT_FUNDS', 'insufficient funds'))).toEqual({
      status: 422,
      body: { code: 42201, message: 'insufficient funds', data: null },
      unmapped: false,
    });
  });

  it('masks anything else as a 500, and says when an expected code lacks a row', () => {
    expect(failureOf(new LegacyFailure('INTERNAL_SERVER_ERROR', 'Internal server error'))).toEqual({
      status: 500,
      body: { code: 50000, message: 'Internal server error', data: null },
      unmapped: false,
    });
    expect(failureOf(new LegacyFailure('DUPLICATE_TRANSACTION', 'transaction tx-1 of player p-1'))).toEqual({
      status: 500,
      body: { code: 50000, message: 'Internal server error', data: null },
      unmapped: true,
    });
  });
});
