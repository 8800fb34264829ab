import { randomUUID } from 'node:crypto';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPlayer, asStaff, errorOf, expectBooks, fund, REQUEST_DEPOSIT, serviceClient, startWallet } from './helpers';

/** Cursor pagination (packages/kit pagination.ts) as every connection of the platform uses it. */
let server: SeededTestSubgraph;
const player = randomUUID();
const ids: string[] = [];

beforeAll(async () => {
  server = await startWallet();
  for (let i = 0; i < 5; i++) {
    const made = await server.graphql<{ requestDeposit: { id: string } }>(
      REQUEST_DEPOSIT,
      { input: { amount: `${i + 11}.00`, depositorName: 'Pager' } },
      asPlayer(server.brands.demo, player),
    );
    ids.push(made.body.data!.requestDeposit.id);
  }
});
afterAll(() => server?.close());

const PAGE = `query ($after: String) { depositRequests(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id amount } } } }`;

type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: { id: string } }[] };
const page = async (after?: string | null) =>
  (await server.graphql<{ depositRequests: Page }>(PAGE, { after }, asStaff(server.brands.demo))).body.data!.depositRequests;

describe('cursor pagination', () => {
  it('walks the list page by page, with no item twice or missing', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const flags: boolean[] = [];
    for (;;) {
      const current: Page = await page(after);
      expect(current.totalCount).toBe(5);
      seen.push(...current.edges.map((edge) => edge.node.id));
      flags.push(current.pageInfo.hasNextPage);
      expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor ?? null);
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor;
    }
    // Every item once (requests made within one millisecond may tie on time, so not the exact order).
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(flags).toEqual([true, true, false]);
  });

  it('refuses a cursor it did not make, and a page size out of range', async () => {
    const bad = await server.graphql(PAGE, { after: 'not-a-cursor' }, asStaff(server.brands.demo));
    expect(errorOf(bad)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const tooMany = await server.graphql(`{ depositRequests(first: 101) { totalCount } }`, undefined, asStaff(server.brands.demo));
    expect(errorOf(tooMany)).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('a ledger page by offset (numbered pages)', () => {
  const owner = randomUUID();
  const HISTORY = `query ($representations: [_Any!]!, $first: Int, $after: String, $offset: Int) {
    _entities(representations: $representations) { ... on Player { wallet { transactions(first: $first, after: $after, offset: $offset) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id amount } } } } } } }`;
  type History = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { id: string; amount: string } }[] };
  const history = (variables: { first?: number; after?: string; offset?: number }) =>
    server.graphql<{ _entities: { wallet: { transactions: History } }[] }>(
      HISTORY,
      { representations: [{ __typename: 'Player', id: owner }], ...variables },
      asPlayer(server.brands.demo, owner),
    );
  const pageAt = async (variables: { first?: number; after?: string; offset?: number }) => (await history(variables)).body.data!._entities[0]!.wallet.transactions;

  beforeAll(async () => {
    const call = await serviceClient(server);
    // Five entries of distinct amounts, one after the other so that their order is known.
    for (let minor = 100n; minor <= 500n; minor += 100n) await fund(call, server.brands.demo, owner, minor);
  });

  it('skips that many entries of the newest-first list, and tells whether more follow', async () => {
    const all = await pageAt({ first: 100 });
    expect(all.edges.map((edge) => edge.node.amount)).toEqual(['5.00', '4.00', '3.00', '2.00', '1.00']);
    const second = await pageAt({ first: 2, offset: 2 });
    expect(second.edges.map((edge) => edge.node.amount)).toEqual(['3.00', '2.00']);
    expect(second).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
    const last = await pageAt({ first: 2, offset: 4 });
    expect(last.edges.map((edge) => edge.node.amount)).toEqual(['1.00']);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect((await pageAt({ first: 2, offset: 5 })).edges).toEqual([]);
    // A cursor page goes on where an offset page ended.
    expect((await pageAt({ first: 2, after: second.pageInfo.endCursor! })).edges).toEqual(last.edges);
    await expectBooks(server, { [owner]: 1_500n });
  });

  it('refuses an offset out of range, or given with a cursor', async () => {
    const cursor = (await pageAt({ first: 1 })).pageInfo.endCursor!;
    for (const [variables, message] of [
      [{ offset: -1 }, 'offset must be between 0 and 10000'],
      [{ offset: 10_001 }, 'offset must be between 0 and 10000'],
      [{ offset: 1, after: cursor }, 'after and offset cannot be used together'],
    ] as const) {
      const refused = await history(variables);
      expect(errorOf(refused).code).toBe('BAD_USER_INPUT');
      expect(refused.body.errors?.[0]?.message).toBe(message);
    }
  });
});
