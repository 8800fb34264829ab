/**
 * The staff's reading of the bank texts over GraphQL: who may read (recon.read, on the request's
 * brand only), the lists and their pages, and what a text was read as and matched to. The recon
 * subgraph on a seeded database; its rows inserted as ingress and the worker leave them.
 */
import { randomUUID } from 'node:crypto';
import type { ReconDevice } from '@rgb/db';
import { anonymous, firstError, type SeededTestSubgraph, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearRecon, depositParse, newDevice, newMatch, newMessage, startRecon } from './staff-support';

const MESSAGES = `query ($status: ReconMessageStatus, $channel: ReconChannel, $first: Int, $after: String) {
  reconMessages(status: $status, channel: $channel, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }
}`;
const QUEUE = `query ($first: Int, $after: String) {
  reconReviewQueue(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id reviewReason } } }
}`;
const MATCHES = `query ($status: ReconMatchStatus) { reconMatches(status: $status) { totalCount edges { node { id } } } }`;
const MESSAGE = `query ($id: ID!) { reconMessage(id: $id) {
  id channel deviceId sender body receivedAt status reviewReason resolvedBy resolvedAt resolutionNote attempts
  parse { kind ignoredReason bank amount depositor depositorMasked fromBankSender occurredAt accountSuffix balance parsedAt }
  duplicateOf { id status }
  match { id depositRequestId player { id } amount status matchedBy attempts lastError createdAt approvedAt message { id } }
} }`;

type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { id: string } }[] };

let server: SeededTestSubgraph;
beforeAll(async () => {
  server = await startRecon();
});
afterAll(() => server?.close());
beforeEach(() => clearRecon(server.deps.prisma));

const prisma = () => server.deps.prisma;
const reader = () => staffWith(server.brands.acme, randomUUID(), ['recon.read']);
const ids = (page: Page) => page.edges.map((edge) => edge.node.id);

async function read<T>(query: string, variables: Record<string, unknown> = {}, as = reader()): Promise<T> {
  const answer = await server.graphql<T>(query, variables, as);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

describe('who reads the bank texts', () => {
  const queries: [string, Record<string, unknown>][] = [
    ['{ reconMessages { totalCount } }', {}],
    ['query ($id: ID!) { reconMessage(id: $id) { id } }', { id: randomUUID() }],
    ['{ reconReviewQueue { totalCount } }', {}],
    ['{ reconMatches { totalCount } }', {}],
    ['{ reconDevices { id } }', {}],
    ['{ reconPatterns { id } }', {}],
  ];

  it('answers each query to staff with recon.read; refuses staff without it, players and agents (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)', async () => {
    const { acme } = server.brands;
    const refused: [ReturnType<typeof anonymous>, string][] = [
      [staffWith(acme, randomUUID(), ['recon.resolve', 'recon.manage', 'deposits.read', 'deposits.decide']), 'FORBIDDEN'],
      [signedIn(acme, 'player', randomUUID()), 'FORBIDDEN'],
      [signedIn(acme, 'agent', randomUUID()), 'FORBIDDEN'],
      [anonymous(acme), 'UNAUTHENTICATED'],
    ];
    for (const [query, variables] of queries) {
      expect((await server.graphql(query, variables, reader())).body.errors, query).toBeUndefined();
      for (const [caller, code] of refused) expect(firstError(await server.graphql(query, variables, caller))?.code, `${query} as ${caller.caller?.kind}`).toBe(code);
    }
  });

  it("shows a brand only its own texts, matches, devices and patterns: another brand's are absent", async () => {
    const { acme, demo } = server.brands;
    const acmePhone = await newDevice(prisma(), acme);
    const demoPhone = await newDevice(prisma(), demo);
    const acmeText = await newMessage(prisma(), acmePhone, { status: 'REVIEW', reviewReason: 'NO_CANDIDATE' });
    const demoText = await newMessage(prisma(), demoPhone, { status: 'REVIEW', reviewReason: 'NO_CANDIDATE' });
    const acmeMatch = await newMatch(prisma(), await newMessage(prisma(), acmePhone, { status: 'MATCHED', ...depositParse(50_000n, '홍길동') }));
    await newMatch(prisma(), await newMessage(prisma(), demoPhone, { status: 'MATCHED', ...depositParse(50_000n, '홍길동') }));
    await prisma().reconPattern.create({ data: { brandId: demo.id, bank: 'KWANGJU', pattern: '(?<amount>\\d+)(?<depositor>\\S+)', senders: ['15884000'], createdBy: randomUUID() } });

    const acmeReader = reader();
    expect(ids((await read<{ reconMessages: Page }>(MESSAGES, {}, acmeReader)).reconMessages)).toHaveLength(2);
    expect(ids((await read<{ reconMessages: Page }>(MESSAGES, {}, acmeReader)).reconMessages)).not.toContain(demoText.id);
    expect(ids((await read<{ reconReviewQueue: Page }>(QUEUE, {}, acmeReader)).reconReviewQueue)).toEqual([acmeText.id]);
    expect(ids((await read<{ reconMatches: Page }>(MATCHES, {}, acmeReader)).reconMatches)).toEqual([acmeMatch.id]);
    expect(await read(MESSAGE, { id: demoText.id }, acmeReader)).toEqual({ reconMessage: null });
    expect(await read('{ reconDevices { id } }', {}, acmeReader)).toEqual({ reconDevices: [{ id: acmePhone.id }] });
    expect(await read('{ reconPatterns { id } }', {}, acmeReader)).toEqual({ reconPatterns: [] });

    const demoReader = staffWith(demo, randomUUID(), ['recon.read']);
    expect(ids((await read<{ reconReviewQueue: Page }>(QUEUE, {}, demoReader)).reconReviewQueue)).toEqual([demoText.id]);
    expect(await read('query ($id: ID!) { reconMessage(id: $id) { id } }', { id: acmeText.id }, demoReader)).toEqual({ reconMessage: null });
    // Not a UUID names nothing: null, never an error of the database.
    expect(await read('{ reconMessage(id: "not-a-uuid") { id } }', {}, demoReader)).toEqual({ reconMessage: null });
  });
});

describe('the lists', () => {
  let phone: ReconDevice;
  beforeEach(async () => {
    phone = await newDevice(prisma(), server.brands.acme);
  });
  const at = (second: number) => new Date(Date.UTC(2026, 11, 6, 5, 0, second));

  it('pages the texts newest first, with their total, by status and by channel', async () => {
    const texts = [
      await newMessage(prisma(), phone, { createdAt: at(1), status: 'APPROVED', channel: 'SMS' }),
      await newMessage(prisma(), phone, { createdAt: at(2), status: 'REVIEW', channel: 'PUSH' }),
      await newMessage(prisma(), phone, { createdAt: at(3), status: 'IGNORED', channel: 'SMS' }),
      await newMessage(prisma(), phone, { createdAt: at(4), status: 'REVIEW', channel: 'SMS' }),
      await newMessage(prisma(), phone, { createdAt: at(5), status: 'WAITING', channel: 'PUSH' }),
    ];
    const [t1, t2, t3, t4, t5] = texts.map((text) => text.id);
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = (await read<{ reconMessages: Page }>(MESSAGES, { first: 2, after })).reconMessages;
      expect(page.totalCount).toBe(5);
      pages.push(ids(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toEqual([[t5, t4], [t3, t2], [t1]]);

    const listed = async (variables: Record<string, unknown>) => {
      const page = (await read<{ reconMessages: Page }>(MESSAGES, variables)).reconMessages;
      return { total: page.totalCount, ids: ids(page) };
    };
    expect(await listed({ status: 'REVIEW' })).toEqual({ total: 2, ids: [t4, t2] });
    expect(await listed({ channel: 'PUSH' })).toEqual({ total: 2, ids: [t5, t2] });
    expect(await listed({ status: 'REVIEW', channel: 'SMS' })).toEqual({ total: 1, ids: [t4] });
    expect(await listed({ status: 'DISMISSED' })).toEqual({ total: 0, ids: [] });

    for (const variables of [{ first: 0 }, { first: 101 }, { after: 'not-a-cursor' }]) {
      expect(firstError(await server.graphql(MESSAGES, variables, reader()))?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it('pages the review queue oldest first (ties by id), with only the texts in review', async () => {
    const review = (second: number) => newMessage(prisma(), phone, { createdAt: at(second), status: 'REVIEW', reviewReason: `R${second}` });
    const newest = await review(9);
    const [tiedA, tiedB] = [await review(3), await review(3)].sort((a, b) => a.id.localeCompare(b.id));
    const oldest = await review(1);
    await newMessage(prisma(), phone, { createdAt: at(0), status: 'DISMISSED' });
    await newMessage(prisma(), phone, { createdAt: at(2), status: 'WAITING' });

    const first = (await read<{ reconReviewQueue: Page }>(QUEUE, { first: 2 })).reconReviewQueue;
    expect(first).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: true } });
    expect(first.edges.map((edge) => edge.node)).toEqual([
      { id: oldest.id, reviewReason: 'R1' },
      { id: tiedA!.id, reviewReason: 'R3' },
    ]);
    const second = (await read<{ reconReviewQueue: Page }>(QUEUE, { first: 2, after: first.pageInfo.endCursor })).reconReviewQueue;
    expect(second).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: false } });
    expect(ids(second)).toEqual([tiedB!.id, newest.id]);
  });

  it('lists the matches newest first, by status', async () => {
    const parsed = depositParse(30_000n, '김철수');
    const approved = await newMatch(prisma(), await newMessage(prisma(), phone, { status: 'APPROVED', ...parsed }), { status: 'APPROVED', approvedAt: new Date(), createdAt: at(1) });
    const approving = await newMatch(prisma(), await newMessage(prisma(), phone, { status: 'MATCHED', ...parsed }), { createdAt: at(2) });
    const listed = async (status?: string) => ids((await read<{ reconMatches: Page }>(MATCHES, { status })).reconMatches);
    expect(await listed()).toEqual([approving.id, approved.id]);
    expect(await listed('APPROVED')).toEqual([approved.id]);
    expect(await listed('APPROVING')).toEqual([approving.id]);
  });
});

describe('a text as read and matched', () => {
  it('gives the parse (amounts in the brand currency), none before the first parse, and an ignored text with its reason', async () => {
    const { acme, demo } = server.brands;
    const phone = await newDevice(prisma(), acme);
    const receivedAt = new Date('2026-12-06T05:25:00.000Z');
    const deposit = await newMessage(prisma(), phone, { status: 'WAITING', receivedAt, attempts: 2, ...depositParse(50_000n, '홍*동') });
    expect(await read(MESSAGE, { id: deposit.id })).toEqual({
      reconMessage: {
        id: deposit.id,
        channel: 'SMS',
        deviceId: phone.id,
        sender: '15889999',
        body: deposit.body,
        receivedAt: '2026-12-06T05:25:00.000Z',
        status: 'WAITING',
        reviewReason: null,
        resolvedBy: null,
        resolvedAt: null,
        resolutionNote: null,
        attempts: 2,
        parse: {
          kind: 'DEPOSIT',
          ignoredReason: null,
          bank: 'KB',
          amount: '50000',
          depositor: '홍*동',
          depositorMasked: true,
          fromBankSender: true,
          occurredAt: '2026-12-06T05:23:00.000Z',
          accountSuffix: '1234',
          balance: '60000',
          parsedAt: '2026-12-06T05:24:00.000Z',
        },
        duplicateOf: null,
        match: null,
      },
    });

    const unparsed = await newMessage(prisma(), phone);
    expect(await read(`query ($id: ID!) { reconMessage(id: $id) { status parse { kind } } }`, { id: unparsed.id })).toEqual({ reconMessage: { status: 'RECEIVED', parse: null } });

    const card = await newMessage(prisma(), phone, { status: 'IGNORED', parseKind: 'IGNORED', ignoredReason: 'CARD', bank: 'KB', parsedAt: receivedAt });
    expect(await read(`query ($id: ID!) { reconMessage(id: $id) { parse { kind ignoredReason bank amount depositor balance occurredAt } } }`, { id: card.id })).toEqual({
      reconMessage: { parse: { kind: 'IGNORED', ignoredReason: 'CARD', bank: 'KB', amount: null, depositor: null, balance: null, occurredAt: null } },
    });

    // A brand of two minor digits shows them.
    const demoText = await newMessage(prisma(), await newDevice(prisma(), demo), { status: 'REVIEW', reviewReason: 'CURRENCY', ...depositParse(50_000n, 'Kim') });
    const demoReader = staffWith(demo, randomUUID(), ['recon.read']);
    expect(await read(`query ($id: ID!) { reconMessage(id: $id) { parse { amount balance } } }`, { id: demoText.id }, demoReader)).toEqual({
      reconMessage: { parse: { amount: '500.00', balance: '600.00' } },
    });
  });

  it('gives the match of a text with its request and player (none until the wallet answers a match by hand), the earlier text of a duplicate, and who resolved it', async () => {
    const phone = await newDevice(prisma(), server.brands.acme);
    const parsed = depositParse(50_000n, '홍길동');
    const approved = await newMessage(prisma(), phone, { status: 'APPROVED', ...parsed });
    const playerId = randomUUID();
    const match = await newMatch(prisma(), approved, { status: 'APPROVED', playerId, attempts: 1, approvedAt: new Date('2026-12-06T05:26:00Z') });
    const duplicate = await newMessage(prisma(), phone, { channel: 'PUSH', status: 'DUPLICATE', duplicateOfId: approved.id, ...parsed });
    const byHand = await newMessage(prisma(), phone, {
      status: 'MATCHED',
      resolvedBy: 'staff:7',
      resolvedAt: new Date('2026-12-06T06:00:00Z'),
      resolutionNote: 'called the player',
      ...parsed,
    });
    const handMatch = await newMatch(prisma(), byHand, { matchedBy: 'staff:7', lastError: 'wallet: connect ECONNREFUSED', attempts: 3 });

    expect((await read<{ reconMessage: unknown }>(MESSAGE, { id: approved.id })).reconMessage).toMatchObject({
      status: 'APPROVED',
      duplicateOf: null,
      match: {
        id: match.id,
        depositRequestId: match.requestId,
        player: { id: playerId },
        amount: '50000',
        status: 'APPROVED',
        matchedBy: 'recon',
        attempts: 1,
        lastError: null,
        createdAt: match.createdAt.toISOString(),
        approvedAt: '2026-12-06T05:26:00.000Z',
        message: { id: approved.id },
      },
    });
    expect((await read<{ reconMessage: unknown }>(MESSAGE, { id: duplicate.id })).reconMessage).toMatchObject({
      channel: 'PUSH',
      status: 'DUPLICATE',
      duplicateOf: { id: approved.id, status: 'APPROVED' },
      match: null,
    });
    expect((await read<{ reconMessage: unknown }>(MESSAGE, { id: byHand.id })).reconMessage).toMatchObject({
      resolvedBy: 'staff:7',
      resolvedAt: '2026-12-06T06:00:00.000Z',
      resolutionNote: 'called the player',
      match: { id: handMatch.id, player: null, matchedBy: 'staff:7', status: 'APPROVING', attempts: 3, lastError: 'wallet: connect ECONNREFUSED', approvedAt: null },
    });
  });

  it('reads the duplicates and matches of a whole page in one query each', async () => {
    const phone = await newDevice(prisma(), server.brands.acme);
    const parsed = depositParse(10_000n, '이영희');
    for (let index = 0; index < 5; index++) {
      const first = await newMessage(prisma(), phone, { status: 'APPROVED', ...parsed });
      await newMatch(prisma(), first, { status: 'APPROVED', playerId: randomUUID() });
      await newMessage(prisma(), phone, { status: 'DUPLICATE', duplicateOfId: first.id, ...parsed });
    }
    server.operations.length = 0;
    const answer = await read<{ reconMessages: { edges: { node: { duplicateOf: { id: string } | null; match: { message: { id: string } } | null } }[] } }>(
      '{ reconMessages(first: 10) { edges { node { duplicateOf { id } match { message { id } } } } } }',
    );
    const nodes = answer.reconMessages.edges.map((edge) => edge.node);
    expect(nodes.filter((node) => node.duplicateOf)).toHaveLength(5);
    expect(nodes.filter((node) => node.match)).toHaveLength(5);
    const counted = (operation: string) => server.operations.filter((ran) => ran === operation).length;
    // The page, the duplicates' earlier texts (then the matches' own texts: already loaded, none read again), the matches.
    expect({ messages: counted('ReconMessage.findMany'), matches: counted('ReconMatch.findMany') }).toEqual({ messages: 2, matches: 1 });
  });
});
