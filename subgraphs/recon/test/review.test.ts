/**
 * Staff's decisions on texts (src/review.ts) with the real wallet and recon_worker: a text of the
 * review queue matched by hand and approved (or refused by the wallet and back in review, or
 * left to the worker while the wallet is down), dismissed, and reprocessed after a pattern change;
 * every refusal (unknown, another brand's, wrong status, blank reason) changing nothing; each
 * decision audited and the queue's events written once.
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '@rgb/contracts';
import type { ReconMessage } from '@rgb/db';
import { signedIn, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECLINE_DEPOSIT } from '../../wallet/test/helpers';
import { dismiss, matchByHand, reprocess } from '../src/review';
import {
  downUrl,
  eventsOf,
  expectDecision,
  expectReconBooks,
  kbDeposit,
  kbWithdrawal,
  type ReconPlatform,
  receive,
  requestDeposit,
  settled,
  staffActionsOn,
  staffActor,
  startReconPlatform,
} from './recon-platform';

const WAIT_FOR_REQUEST_MS = 1_000;

let platform: ReconPlatform;
beforeAll(async () => {
  platform = await startReconPlatform({ RECON_WAIT_FOR_REQUEST_MS: String(WAIT_FOR_REQUEST_MS) });
  await platform.startWorker();
}, 60_000);
afterAll(() => platform?.close());

let lastAmount = 10_000n;
const freshAmount = () => {
  lastAmount += 1_000n;
  return lastAmount;
};

const find = (id: string) => platform.prisma.reconMessage.findUniqueOrThrow({ where: { id } });
const matchOf = (message: ReconMessage) => platform.prisma.reconMatch.findUnique({ where: { messageId: message.id } });

/** A deposit text no request came for: in review (NO_CANDIDATE). */
async function unmatchedDeposit(amount: bigint, depositor = '홍길동'): Promise<ReconMessage> {
  const message = await receive(platform, kbDeposit(amount, depositor));
  return settled(platform, message.id, ['REVIEW']);
}

/** The code a decision is refused with. */
async function refusal(decision: Promise<unknown>): Promise<string> {
  const error = await decision.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.code;
}

/** The text and the recon outbox, to compare before and after a refused decision. */
const snapshot = async (message: ReconMessage) => ({ message: await find(message.id), outbox: await platform.prisma.reconOutbox.count(), match: await matchOf(message) });

const opened = (message: ReconMessage, reason: string) => ['RECON_REVIEW_OPENED', { message_id: message.id, reason }];
const closed = (message: ReconMessage, resolution: string) => ['RECON_REVIEW_CLOSED', { message_id: message.id, resolution }];
const withoutActions = (events: [string, unknown][]) => events.filter(([type]) => type !== 'STAFF_ACTION_RECORDED');

describe('matchByHand', () => {
  it('approves the request staff name for a text in review, through the wallet, for the text', async () => {
    const amount = freshAmount();
    const message = await unmatchedDeposit(amount, '홍길동');
    // The player wrote another name: only staff can tell it is the same deposit.
    const request = await requestDeposit(platform, amount, '홍민수');
    const actor = staffActor();

    const answered = await matchByHand(platform.deps(), platform.brands.acme, message.id, request.id, actor);
    expect(answered).toMatchObject({ id: message.id, status: 'APPROVED', resolvedBy: `staff:${actor.staffId}`, reviewReason: null });
    expect(answered.resolvedAt).toBeInstanceOf(Date);
    expect(await matchOf(message)).toMatchObject({ requestId: request.id, playerId: request.playerId, amount, status: 'APPROVED', matchedBy: `staff:${actor.staffId}` });
    await expectDecision(platform, request, message.id);
    expect(await eventsOf(platform, message.id)).toEqual([
      opened(message, 'NO_CANDIDATE'),
      closed(message, 'MATCHED'),
      [
        'STAFF_ACTION_RECORDED',
        {
          staff_id: actor.staffId,
          request_id: actor.requestId,
          action: 'recon_message.match',
          target_type: 'recon_message',
          target_id: message.id,
          before: { status: 'REVIEW', review_reason: 'NO_CANDIDATE' },
          after: { status: 'MATCHED', deposit_request_id: request.id },
        },
      ],
      [
        'RECON_DEPOSIT_MATCHED',
        { message_id: message.id, request_id: request.id, player_id: request.playerId, amount_minor: amount.toString(), matched_by: `staff:${actor.staffId}` },
      ],
    ]);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('refuses an unknown text, another brand’s, one not in review, one without an amount, and a request matched already, changing nothing', async () => {
    const amount = freshAmount();
    const message = await unmatchedDeposit(amount);
    const request = await requestDeposit(platform, amount, '김철수');
    const deps = platform.deps();
    const { acme, demo } = platform.brands;
    const before = await snapshot(message);

    expect(await refusal(matchByHand(deps, acme, randomUUID(), request.id, staffActor()))).toBe('NOT_FOUND');
    expect(await refusal(matchByHand(deps, acme, 'not-an-id', request.id, staffActor()))).toBe('NOT_FOUND');
    expect(await refusal(matchByHand(deps, demo, message.id, request.id, staffActor()))).toBe('NOT_FOUND');
    expect(await refusal(matchByHand(deps, acme, message.id, 'not-an-id', staffActor()))).toBe('NOT_FOUND');
    expect(await snapshot(message)).toEqual(before);

    const ignored = await settled(platform, (await receive(platform, kbWithdrawal(amount, '김철수'))).id, ['IGNORED']);
    expect(await refusal(matchByHand(deps, acme, ignored.id, request.id, staffActor()))).toBe('CONFLICT');
    const unreadable = await settled(platform, (await receive(platform, { channel: 'SMS', sender: '15889999', body: '알 수 없는 문자' })).id, ['REVIEW']);
    expect(await refusal(matchByHand(deps, acme, unreadable.id, request.id, staffActor()))).toBe('CONFLICT');

    const approved = await matchByHand(deps, acme, message.id, request.id, staffActor());
    expect(approved.status).toBe('APPROVED');
    const another = await unmatchedDeposit(amount, '김철수');
    const anotherBefore = await snapshot(another);
    expect(await refusal(matchByHand(deps, acme, another.id, request.id, staffActor()))).toBe('CONFLICT');
    expect(await refusal(matchByHand(deps, acme, message.id, request.id, staffActor()))).toBe('CONFLICT');
    expect(await snapshot(another)).toEqual(anotherBefore);
    expect(await find(ignored.id)).toMatchObject({ status: 'IGNORED', resolvedBy: null });
    expect(await staffActionsOn(platform, another.id)).toEqual([]);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('refuses a text of a brand whose currency is not KRW (CURRENCY) with CONFLICT, changing nothing', async () => {
    const amount = freshAmount();
    const { demo } = platform.brands;
    expect(demo.currency).not.toBe('KRW');
    const device = `demo-phone-${randomUUID().slice(0, 8)}`;
    await platform.prisma.reconDevice.create({ data: { id: device, brandId: demo.id, label: 'demo phone' } });
    const message = await settled(platform, (await receive(platform, kbDeposit(amount, '홍길동'), { device })).id, ['REVIEW']);
    expect(message).toMatchObject({ reviewReason: 'CURRENCY', amount });
    const request = await platform.prisma.depositRequest.create({
      data: { brandId: demo.id, playerId: randomUUID(), amount, currency: demo.currency, depositorName: '홍길동' },
    });
    const before = await snapshot(message);

    expect(await refusal(matchByHand(platform.deps(), demo, message.id, request.id, staffActor()))).toBe('CONFLICT');
    expect(await snapshot(message)).toEqual(before);
    expect(await platform.prisma.depositRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ status: 'PENDING', decidedBy: null });
    expect(await staffActionsOn(platform, message.id)).toEqual([]);
    await expectReconBooks(platform, { [request.playerId]: null });
  });

  it('undoes the match and keeps the text in review when the wallet refuses the request (another amount, decided, unknown)', async () => {
    const amount = freshAmount();
    const message = await unmatchedDeposit(amount);
    const deps = platform.deps();
    const otherAmount = await requestDeposit(platform, amount + 500n, '이순신');
    const declined = await requestDeposit(platform, amount, '이순신');
    const decline = await platform.wallet.graphql(DECLINE_DEPOSIT, { id: declined.id, reason: 'no money arrived' }, signedIn(platform.brands.acme, 'staff', randomUUID()));
    expect(decline.body.errors).toBeUndefined();

    expect(await refusal(matchByHand(deps, platform.brands.acme, message.id, otherAmount.id, staffActor()))).toBe('CONFLICT');
    expect(await refusal(matchByHand(deps, platform.brands.acme, message.id, declined.id, staffActor()))).toBe('CONFLICT');
    expect(await refusal(matchByHand(deps, platform.brands.acme, message.id, randomUUID(), staffActor()))).toBe('NOT_FOUND');

    expect(await find(message.id)).toMatchObject({ status: 'REVIEW', reviewReason: 'NO_CANDIDATE', resolvedBy: null, resolvedAt: null });
    expect(await matchOf(message)).toBeNull();
    await expectDecision(platform, otherAmount, null);
    expect((await platform.prisma.depositRequest.findUniqueOrThrow({ where: { id: declined.id } })).status).toBe('DECLINED');
    const attempt = [closed(message, 'MATCHED'), opened(message, 'NO_CANDIDATE')];
    expect(withoutActions(await eventsOf(platform, message.id))).toEqual([opened(message, 'NO_CANDIDATE'), ...attempt, ...attempt, ...attempt]);
    expect((await staffActionsOn(platform, message.id)).map((action) => action.action)).toEqual(['recon_message.match', 'recon_message.match', 'recon_message.match']);
    await expectReconBooks(platform, { [otherAmount.playerId]: null, [declined.playerId]: null });
  });

  it('leaves a match the wallet does not answer to recon_worker, which approves it once', async () => {
    const amount = freshAmount();
    const message = await unmatchedDeposit(amount);
    const request = await requestDeposit(platform, amount, '장보고');

    const answered = await matchByHand(platform.deps(await downUrl()), platform.brands.acme, message.id, request.id, staffActor());
    expect(answered.status).toBe('MATCHED');
    const pending = await matchOf(message);
    expect(pending).toMatchObject({ status: 'APPROVING', attempts: 1, playerId: null });
    expect(pending!.lastError).toContain('ECONNREFUSED');

    expect(await settled(platform, message.id, ['APPROVED'])).toMatchObject({ status: 'APPROVED' });
    expect(await matchOf(message)).toMatchObject({ status: 'APPROVED', attempts: 1, playerId: request.playerId });
    await expectDecision(platform, request, message.id);
    expect(withoutActions(await eventsOf(platform, message.id)).map(([type]) => type)).toEqual(['RECON_REVIEW_OPENED', 'RECON_REVIEW_CLOSED', 'RECON_DEPOSIT_MATCHED']);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });
});

describe('dismiss', () => {
  it('sets a text of the review queue aside with the reason; refuses a blank reason, another brand’s text and one not in review', async () => {
    const message = await unmatchedDeposit(freshAmount());
    const deps = platform.deps();
    const actor = staffActor();
    const before = await snapshot(message);

    expect(await refusal(dismiss(deps, platform.brands.acme, message.id, '   ', actor))).toBe('BAD_USER_INPUT');
    expect(await refusal(dismiss(deps, platform.brands.demo, message.id, 'not ours', actor))).toBe('NOT_FOUND');
    expect(await refusal(dismiss(deps, platform.brands.acme, randomUUID(), 'unknown', actor))).toBe('NOT_FOUND');
    expect(await snapshot(message)).toEqual(before);

    const dismissed = await dismiss(deps, platform.brands.acme, message.id, '  a test transfer from the office  ', actor);
    expect(dismissed).toMatchObject({ status: 'DISMISSED', resolvedBy: `staff:${actor.staffId}`, resolutionNote: 'a test transfer from the office', reviewReason: 'NO_CANDIDATE' });
    expect(await refusal(dismiss(deps, platform.brands.acme, message.id, 'again', actor))).toBe('CONFLICT');
    expect(await eventsOf(platform, message.id)).toEqual([
      opened(message, 'NO_CANDIDATE'),
      closed(message, 'DISMISSED'),
      [
        'STAFF_ACTION_RECORDED',
        {
          staff_id: actor.staffId,
          request_id: actor.requestId,
          action: 'recon_message.dismiss',
          target_type: 'recon_message',
          target_id: message.id,
          before: { status: 'REVIEW', review_reason: 'NO_CANDIDATE' },
          after: { status: 'DISMISSED', reason: 'a test transfer from the office' },
        },
      ],
    ]);
  });
});

describe('reprocess', () => {
  it('reads a text in review again once the brand has a pattern for its layout, and it is approved', async () => {
    const amount = freshAmount();
    const body = `ACME저축 홍길동 ${amount.toLocaleString('en-US')}원 들어옴`;
    const message = await settled(platform, (await receive(platform, { channel: 'SMS', sender: '1577-0000', body })).id, ['REVIEW']);
    expect(message).toMatchObject({ reviewReason: 'UNRECOGNISED', parseKind: 'IGNORED' });
    const request = await requestDeposit(platform, amount, '홍길동');
    await platform.prisma.reconPattern.create({
      data: { brandId: platform.brands.acme.id, bank: 'ACME_SAVINGS', pattern: '^ACME저축 (?<depositor>\\S+) (?<amount>[\\d,]+)원 들어옴$', senders: ['15770000'], createdBy: 'staff:test' },
    });
    const actor = staffActor();

    const reprocessed = await reprocess(platform.deps(), platform.brands.acme, message.id, actor);
    expect(reprocessed).toMatchObject({ status: 'RECEIVED', parseKind: null, parsedAt: null, amount: null, reviewReason: null, attempts: 0 });
    expect(await settled(platform, message.id, ['APPROVED'])).toMatchObject({ bank: 'ACME_SAVINGS', amount, depositor: '홍길동' });
    await expectDecision(platform, request, message.id);
    expect(withoutActions(await eventsOf(platform, message.id))).toEqual([
      opened(message, 'UNRECOGNISED'),
      closed(message, 'REPROCESSED'),
      [
        'RECON_DEPOSIT_MATCHED',
        { message_id: message.id, request_id: request.id, player_id: request.playerId, amount_minor: amount.toString(), matched_by: 'recon' },
      ],
    ]);
    expect(await staffActionsOn(platform, message.id)).toEqual([
      {
        staff_id: actor.staffId,
        request_id: actor.requestId,
        action: 'recon_message.reprocess',
        target_type: 'recon_message',
        target_id: message.id,
        before: { status: 'REVIEW', review_reason: 'UNRECOGNISED', ignored_reason: 'UNRECOGNISED' },
        after: { status: 'RECEIVED' },
      },
    ]);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('reads a text in review again though a copy of it delivered since is its DUPLICATE, and approves it: no duplicate of itself', async () => {
    const amount = freshAmount();
    const text = kbDeposit(amount, '김유신');
    const message = await settled(platform, (await receive(platform, text)).id, ['REVIEW']);
    expect(message.reviewReason).toBe('NO_CANDIDATE');
    const copy = await settled(platform, (await receive(platform, text, { receivedAt: new Date(Date.now() + 10_000) })).id, ['DUPLICATE']);
    expect(copy.duplicateOfId).toBe(message.id);
    const request = await requestDeposit(platform, amount, '김유신');

    await reprocess(platform.deps(), platform.brands.acme, message.id, staffActor());
    expect(await settled(platform, message.id, ['APPROVED', 'DUPLICATE', 'REVIEW'])).toMatchObject({ status: 'APPROVED', duplicateOfId: null });
    expect(await find(copy.id)).toMatchObject({ status: 'DUPLICATE', duplicateOfId: message.id });
    await expectDecision(platform, request, message.id);
    expect(withoutActions(await eventsOf(platform, message.id))).toEqual([
      opened(message, 'NO_CANDIDATE'),
      closed(message, 'REPROCESSED'),
      [
        'RECON_DEPOSIT_MATCHED',
        { message_id: message.id, request_id: request.id, player_id: request.playerId, amount_minor: amount.toString(), matched_by: 'recon' },
      ],
    ]);
    expect(await eventsOf(platform, copy.id)).toEqual([]);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('reads IGNORED and DISMISSED texts again (no review closed for them), and refuses texts that approved or matched something', async () => {
    const amount = freshAmount();
    const deps = platform.deps();
    const ignored = await settled(platform, (await receive(platform, kbWithdrawal(amount, '유관순'))).id, ['IGNORED']);
    await reprocess(deps, platform.brands.acme, ignored.id, staffActor());
    await waitFor('the withdrawal read again', async () => {
      const again = await find(ignored.id);
      return again.status === 'IGNORED' && again.parsedAt! > ignored.parsedAt! ? again : undefined;
    });
    expect(await eventsOf(platform, ignored.id)).toHaveLength(1);

    const dismissed = await unmatchedDeposit(amount, '유관순');
    await dismiss(deps, platform.brands.acme, dismissed.id, 'unclear', staffActor());
    const request = await requestDeposit(platform, amount, '유관순');
    await reprocess(deps, platform.brands.acme, dismissed.id, staffActor());
    // Received long before the request, its wait is over: only its match could take it out of review, and it finds the request.
    expect(await settled(platform, dismissed.id, ['APPROVED', 'REVIEW'])).toMatchObject({ status: 'APPROVED', resolvedBy: null, resolutionNote: null });
    expect(withoutActions(await eventsOf(platform, dismissed.id)).map(([type, payload]) => [type, (payload as { resolution?: string }).resolution ?? null])).toEqual([
      ['RECON_REVIEW_OPENED', null],
      ['RECON_REVIEW_CLOSED', 'DISMISSED'],
      ['RECON_DEPOSIT_MATCHED', null],
    ]);

    const before = await snapshot(dismissed);
    expect(await refusal(reprocess(deps, platform.brands.acme, dismissed.id, staffActor()))).toBe('CONFLICT');
    expect(await refusal(reprocess(deps, platform.brands.demo, ignored.id, staffActor()))).toBe('NOT_FOUND');
    expect(await snapshot(dismissed)).toEqual(before);
    await expectDecision(platform, request, dismissed.id);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });
});
