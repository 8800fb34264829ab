import { randomUUID } from 'node:crypto';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPlayer, asStaff, errorOf, REQUEST_DEPOSIT, startWallet } from './helpers';

/** Cursor pagination (packages/kit pagination.ts) as every connection of the platform uses it. */
let server: SeededTestSubgraph;
const player = randomUUID();
const ids: string[] = [];

beforeAll(async () => {
  server = await startWallet();
  for (let i = 0; i < 5; i++) {
    const made = await server.graphql<{ requestDeposit: { id: string } }>(
      REQUEST_DEPOSIT,
      { input: { amount: `${i + 1}.00`, depositorName: 'Pager' } },
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
