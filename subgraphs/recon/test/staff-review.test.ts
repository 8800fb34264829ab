/**
 * Staff resolving the review queue over GraphQL: matchReconMessage (approved through the real
 * wallet, refused by it, or left to recon_worker while it is away), dismissReconMessage and
 * reprocessReconMessage; recon.resolve only, on the brand's texts only, each audited with its
 * review event in recon.outbox. The recon subgraph beside admin and the wallet on one seeded
 * database; texts in review inserted as recon_worker leaves them.
 */
import { randomUUID } from 'node:crypto';
import type { ReconMessage } from '@rgb/db';
import type { ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, isolatedRedisUrl, signedIn, staffWith, startTestSubgraph, type TestSubgraph } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECON_DOORBELL } from '../src/domain';
import { loadReconConfig, reconSubgraph } from '../src/index';
import { DEVICE, depositRequest, downUrl, eventsOf, expectDecision, expectReconBooks, type ReconPlatform, requestDeposit, settled, startReconPlatform } from './recon-platform';
import { depositParse, newDevice, newMatch, newMessage } from './staff-support';

const FIELDS = 'id status reviewReason resolvedBy resolutionNote parse { kind amount } match { depositRequestId status matchedBy player { id } attempts lastError }';
const MATCH = `mutation ($id: ID!, $request: ID!) { matchReconMessage(id: $id, depositRequestId: $request) { ${FIELDS} } }`;
const DISMISS = `mutation ($id: ID!, $reason: String!) { dismissReconMessage(id: $id, reason: $reason) { ${FIELDS} } }`;
const REPROCESS = `mutation ($id: ID!) { reprocessReconMessage(id: $id) { ${FIELDS} } }`;

let platform: ReconPlatform;
let recon: TestSubgraph;
/** The recon API of a platform whose wallet is down. */
let reconWalletDown: TestSubgraph;
/** The Redis recon's API rings recon_worker on. */
let reconRedisUrl: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  platform = await startReconPlatform();
  reconRedisUrl = await isolatedRedisUrl();
  const startApi = async (walletUrl: string) => {
    const env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', WEBHOOK_PORT: '0', REDIS_URL: reconRedisUrl, WALLET_URL: walletUrl };
    const server = await startTestSubgraph(reconSubgraph(loadReconConfig(env)), platform.admin.database.url, env);
    closers.push(() => server.close());
    return server;
  };
  recon = await startApi(platform.wallet.url);
  reconWalletDown = await startApi(await downUrl());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await platform?.close();
});

const staffId = randomUUID();
const resolver = () => staffWith(platform.brands.acme, staffId, ['recon.resolve', 'recon.read']);
const acmePhone = () => platform.prisma.reconDevice.findUniqueOrThrow({ where: { id: DEVICE } });

/** An hour from now: a text inserted in another status is not due for the recon_worker some tests run. */
const later = () => new Date(Date.now() + 3_600_000);

/** A deposit text of acme waiting for staff, as recon_worker leaves one it found no request for. */
const inReview = async (amount: bigint, depositor: string, fields: Parameters<typeof newMessage>[2] = {}) =>
  newMessage(platform.prisma, await acmePhone(), { status: 'REVIEW', reviewReason: 'NO_CANDIDATE', nextAttemptAt: later(), ...depositParse(amount, depositor, new Date()), ...fields });

async function answered<T>(server: TestSubgraph, query: string, variables: Record<string, unknown>, as: ForwardedContext = resolver()): Promise<T> {
  const answer = await server.graphql<T>(query, variables, as);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

const refusal = async (query: string, variables: Record<string, unknown>, as: ForwardedContext = resolver(), server = recon) =>
  firstError(await server.graphql(query, variables, as))?.code;

/** What a refusal must leave as it was: the texts, the matches, the outbox. */
const written = async () => ({
  messages: await platform.prisma.reconMessage.findMany({ orderBy: { id: 'asc' } }),
  matches: await platform.prisma.reconMatch.findMany({ orderBy: { id: 'asc' } }),
  outbox: await platform.prisma.reconOutbox.count(),
});

/** The types of the text's events, with each staff action's name. */
const eventNames = async (message: ReconMessage) =>
  (await eventsOf(platform, message.id)).map(([type, payload]) => (type === 'STAFF_ACTION_RECORDED' ? `${type}:${payload.action}` : type === 'RECON_REVIEW_CLOSED' ? `${type}:${payload.resolution}` : type));

describe('matchReconMessage', () => {
  it("approves the request through the wallet for the text: the player credited once, the text and match APPROVED, the queue's closing, the staff action and the match in recon.outbox", async () => {
    const request = await requestDeposit(platform, 70_000n, '홍길동');
    const text = await inReview(70_000n, '홍*동');
    const { matchReconMessage } = await answered<{ matchReconMessage: unknown }>(recon, MATCH, { id: text.id, request: request.id });
    expect(matchReconMessage).toEqual({
      id: text.id,
      status: 'APPROVED',
      reviewReason: null,
      resolvedBy: `staff:${staffId}`,
      resolutionNote: null,
      parse: { kind: 'DEPOSIT', amount: '70000' },
      match: { depositRequestId: request.id, status: 'APPROVED', matchedBy: `staff:${staffId}`, player: { id: request.playerId }, attempts: 0, lastError: null },
    });
    await expectDecision(platform, request, text.id);
    await expectReconBooks(platform, { [request.playerId]: 70_000n });
    expect(await eventNames(text)).toEqual(['RECON_REVIEW_CLOSED:MATCHED', 'STAFF_ACTION_RECORDED:recon_message.match', 'RECON_DEPOSIT_MATCHED']);
    const [, action] = (await eventsOf(platform, text.id))[1]!;
    expect(action).toMatchObject({
      staff_id: staffId,
      target_type: 'recon_message',
      target_id: text.id,
      before: { status: 'REVIEW', review_reason: 'NO_CANDIDATE' },
      after: { status: 'MATCHED', deposit_request_id: request.id },
    });
    // The same again: the text is no longer in review.
    expect(await refusal(MATCH, { id: text.id, request: request.id })).toBe('CONFLICT');
    await expectReconBooks(platform, { [request.playerId]: 70_000n });
  });

  it('answers CONFLICT when the wallet refuses the request (another amount, decided already) and NOT_FOUND for a request it does not know: the text back in review, nothing credited', async () => {
    const otherAmount = await requestDeposit(platform, 80_000n, '김철수');
    const text = await inReview(70_000n, '김철수', { reviewReason: 'AMBIGUOUS' });
    expect(await refusal(MATCH, { id: text.id, request: otherAmount.id })).toBe('CONFLICT');
    expect(await refusal(MATCH, { id: text.id, request: randomUUID() })).toBe('NOT_FOUND');
    const after = await platform.prisma.reconMessage.findUniqueOrThrow({ where: { id: text.id } });
    expect({ status: after.status, reviewReason: after.reviewReason, resolvedBy: after.resolvedBy }).toEqual({ status: 'REVIEW', reviewReason: 'AMBIGUOUS', resolvedBy: null });
    expect(await platform.prisma.reconMatch.count({ where: { messageId: text.id } })).toBe(0);
    await expectDecision(platform, otherAmount, null);
    await expectReconBooks(platform, { [otherAmount.playerId]: null });
    // Each attempt closed the review and opened it again: the queue's count ends where it was.
    expect((await eventNames(text)).filter((name) => name.startsWith('RECON_REVIEW'))).toEqual([
      'RECON_REVIEW_CLOSED:MATCHED',
      'RECON_REVIEW_OPENED',
      'RECON_REVIEW_CLOSED:MATCHED',
      'RECON_REVIEW_OPENED',
    ]);
  });

  it('leaves the text MATCHED for recon_worker while the wallet is away, and the worker approves it once the wallet answers', async () => {
    const request = await requestDeposit(platform, 90_000n, '이영희');
    const text = await inReview(90_000n, '이영희');
    const { matchReconMessage } = await answered<{ matchReconMessage: { status: string; match: { status: string; attempts: number; lastError: string } } }>(
      reconWalletDown,
      MATCH,
      { id: text.id, request: request.id },
    );
    expect(matchReconMessage).toMatchObject({ status: 'MATCHED', match: { status: 'APPROVING', attempts: 1, player: null } });
    expect(matchReconMessage.match.lastError).toEqual(expect.any(String));
    await expectDecision(platform, request, null);

    const worker = await platform.startWorker();
    await settled(platform, text.id, ['APPROVED']);
    await worker.close();
    await expectDecision(platform, request, text.id);
    await expectReconBooks(platform, { [request.playerId]: 90_000n });
  });

  it("refuses a text not in review, one without an amount, another brand's, and a request matched to another text, writing nothing", async () => {
    const approved = await inReview(10_000n, '박민수', { status: 'APPROVED', reviewReason: null });
    const unread = await inReview(10_000n, '박민수', { reviewReason: 'UNRECOGNISED', parseKind: 'IGNORED', ignoredReason: 'UNRECOGNISED', amount: null, depositor: null });
    const demoText = await newMessage(platform.prisma, await newDevice(platform.prisma, platform.brands.demo), { status: 'REVIEW', reviewReason: 'CURRENCY', ...depositParse(10_000n, 'Kim') });
    const taken = await newMatch(platform.prisma, await inReview(10_000n, '박민수', { status: 'MATCHED', reviewReason: null }));
    const waiting = await inReview(10_000n, '박민수');
    const before = await written();
    const request = randomUUID();
    expect(await refusal(MATCH, { id: approved.id, request })).toBe('CONFLICT');
    expect(await refusal(MATCH, { id: unread.id, request })).toBe('CONFLICT');
    expect(await refusal(MATCH, { id: waiting.id, request: taken.requestId })).toBe('CONFLICT');
    expect(await refusal(MATCH, { id: demoText.id, request })).toBe('NOT_FOUND');
    expect(await refusal(MATCH, { id: randomUUID(), request })).toBe('NOT_FOUND');
    expect(await refusal(MATCH, { id: 'not-a-uuid', request })).toBe('NOT_FOUND');
    expect(await refusal(MATCH, { id: waiting.id, request: 'not-a-uuid' })).toBe('NOT_FOUND');
    expect(await written()).toEqual(before);
  });
});

describe('dismissReconMessage', () => {
  it('sets a text of the review queue aside with the reason, closing its review, audited; a second time is CONFLICT', async () => {
    const text = await inReview(20_000n, '최지우');
    const { dismissReconMessage } = await answered<{ dismissReconMessage: unknown }>(recon, DISMISS, { id: text.id, reason: '  our own transfer ' });
    expect(dismissReconMessage).toMatchObject({ id: text.id, status: 'DISMISSED', reviewReason: 'NO_CANDIDATE', resolvedBy: `staff:${staffId}`, resolutionNote: 'our own transfer', match: null });
    expect(await eventNames(text)).toEqual(['RECON_REVIEW_CLOSED:DISMISSED', 'STAFF_ACTION_RECORDED:recon_message.dismiss']);
    expect(await refusal(DISMISS, { id: text.id, reason: 'again' })).toBe('CONFLICT');
  });

  it("refuses a blank reason, a text not in review and another brand's, writing nothing", async () => {
    const text = await inReview(20_000n, '최지우');
    const waiting = await inReview(20_000n, '최지우', { status: 'WAITING', reviewReason: null });
    const demoText = await newMessage(platform.prisma, await newDevice(platform.prisma, platform.brands.demo), { status: 'REVIEW', reviewReason: 'CURRENCY' });
    const before = await written();
    expect(await refusal(DISMISS, { id: text.id, reason: '   ' })).toBe('BAD_USER_INPUT');
    expect(await refusal(DISMISS, { id: text.id, reason: 'x'.repeat(501) })).toBe('BAD_USER_INPUT');
    expect(await refusal(DISMISS, { id: waiting.id, reason: 'no' })).toBe('CONFLICT');
    expect(await refusal(DISMISS, { id: demoText.id, reason: 'no' })).toBe('NOT_FOUND');
    expect(await written()).toEqual(before);
  });
});

describe('reprocessReconMessage', () => {
  it("reads a text the parsers did not know again once staff add the bank's pattern: recon_worker matches it to the pending request", async () => {
    const request = await requestDeposit(platform, 60_000n, '정우성');
    const phone = await acmePhone();
    const text = await newMessage(platform.prisma, phone, {
      sender: '15884000',
      body: '[광주은행] 입금 60,000원 정우성',
      status: 'REVIEW',
      reviewReason: 'UNRECOGNISED',
      parseKind: 'IGNORED',
      ignoredReason: 'UNRECOGNISED',
      parsedAt: new Date(),
    });
    const manager = staffWith(platform.brands.acme, staffId, ['recon.manage']);
    await answered(recon, `mutation ($input: ReconPatternInput!) { saveReconPattern(input: $input) { id } }`, {
      input: { bank: 'KWANGJU', pattern: String.raw`^\[광주은행\]\s*입금\s*(?<amount>[\d,]+)원\s+(?<depositor>\S+)$`, senders: ['1588-4000'] },
    }, manager);

    const rings = new Redis(reconRedisUrl);
    const rung = new Promise<void>((resolve) => rings.on('message', () => resolve()));
    await rings.subscribe(RECON_DOORBELL);
    try {
      const { reprocessReconMessage } = await answered<{ reprocessReconMessage: unknown }>(recon, REPROCESS, { id: text.id });
      expect(reprocessReconMessage).toMatchObject({ id: text.id, status: 'RECEIVED', reviewReason: null, resolvedBy: null, parse: null, match: null });
      await rung;
    } finally {
      rings.disconnect();
    }
    expect(await eventNames(text)).toEqual(['RECON_REVIEW_CLOSED:REPROCESSED', 'STAFF_ACTION_RECORDED:recon_message.reprocess']);

    const worker = await platform.startWorker();
    const approved = await settled(platform, text.id, ['APPROVED', 'REVIEW', 'WAITING', 'IGNORED']);
    await worker.close();
    expect({ status: approved.status, bank: approved.bank, amount: approved.amount }).toEqual({ status: 'APPROVED', bank: 'KWANGJU', amount: 60_000n });
    await expectDecision(platform, request, text.id);
    await expectReconBooks(platform, { [request.playerId]: 60_000n });
  });

  it('reads again an ignored or dismissed text (no review to close), and refuses one that approved something or is on its way, writing nothing', async () => {
    const ignored = await inReview(30_000n, '한가인', { status: 'IGNORED', reviewReason: null, parseKind: 'IGNORED', ignoredReason: 'CARD', amount: null });
    const dismissed = await inReview(30_000n, '한가인', { status: 'DISMISSED', resolvedBy: 'staff:1', resolutionNote: 'test' });
    for (const text of [ignored, dismissed]) {
      expect((await answered<{ reprocessReconMessage: unknown }>(recon, REPROCESS, { id: text.id })).reprocessReconMessage).toMatchObject({
        status: 'RECEIVED',
        resolvedBy: null,
        resolutionNote: null,
        parse: null,
      });
      expect(await eventNames(text)).toEqual(['STAFF_ACTION_RECORDED:recon_message.reprocess']);
    }
    // Out of the way of a recon_worker another test runs.
    await platform.prisma.reconMessage.updateMany({ where: { id: { in: [ignored.id, dismissed.id] } }, data: { nextAttemptAt: later() } });

    const refused = await Promise.all(
      (['RECEIVED', 'WAITING', 'MATCHED', 'APPROVED', 'DUPLICATE'] as const).map((status) => inReview(30_000n, '한가인', { status, reviewReason: null })),
    );
    const before = await written();
    for (const text of refused) expect(await refusal(REPROCESS, { id: text.id }), text.status).toBe('CONFLICT');
    expect(await written()).toEqual(before);
  });
});

describe('who resolves the review queue', () => {
  it('refuses each decision to staff without recon.resolve (FORBIDDEN), players, agents and anonymous callers, writing nothing', async () => {
    const text = await inReview(40_000n, '강동원');
    const request = await requestDeposit(platform, 40_000n, '강동원');
    const before = await written();
    const { acme } = platform.brands;
    const decisions: [string, Record<string, unknown>][] = [
      [MATCH, { id: text.id, request: request.id }],
      [DISMISS, { id: text.id, reason: 'no' }],
      [REPROCESS, { id: text.id }],
    ];
    const refused: [ForwardedContext, string][] = [
      [staffWith(acme, randomUUID(), ['recon.read', 'recon.manage', 'deposits.decide']), 'FORBIDDEN'],
      [signedIn(acme, 'player', randomUUID()), 'FORBIDDEN'],
      [signedIn(acme, 'agent', randomUUID()), 'FORBIDDEN'],
      [anonymous(acme), 'UNAUTHENTICATED'],
    ];
    for (const [mutation, variables] of decisions) {
      for (const [caller, code] of refused) expect(await refusal(mutation, variables, caller), `${mutation} as ${caller.caller?.kind}`).toBe(code);
    }
    expect(await written()).toEqual(before);
    expect((await depositRequest(platform, request.id)).status).toBe('PENDING');
  });
});
