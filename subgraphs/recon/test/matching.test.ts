/**
 * recon_worker matching bank texts to deposit requests through the real wallet: exact and masked
 * names, ambiguity, a request made after its text (and one never made), a text reported twice (the
 * same SMS again, an SMS and the app's push), texts that approve nothing, a text not from the
 * bank, the wallet away or losing its answers, and a match the wallet never answers. Every
 * approval is the wallet's, once; the books agree after each test.
 */
import { randomUUID } from 'node:crypto';
import { STREAMS } from '@rgb/contracts';
import type { ReconMessage } from '@rgb/db';
import type { StartedWorker } from '@rgb/kit';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILURES } from '../src/processing/messages';
import { dismiss } from '../src/review';
import {
  DEVICE,
  downUrl,
  eventsOf,
  expectDecision,
  expectReconBooks,
  kbCard,
  kbCode,
  kbDeposit,
  kbPush,
  kbWithdrawal,
  lossyWallet,
  type ReconPlatform,
  receive,
  requestDeposit,
  settled,
  staffActor,
  startReconPlatform,
} from './recon-platform';

const WAIT_FOR_REQUEST_MS = 6_000;

let platform: ReconPlatform;
let worker: StartedWorker;
beforeAll(async () => {
  platform = await startReconPlatform({ RECON_WAIT_FOR_REQUEST_MS: String(WAIT_FOR_REQUEST_MS) });
  worker = await platform.startWorker();
}, 60_000);
afterAll(() => platform?.close());

// Each test its own amount: a text of one test never finds another test's requests.
let lastAmount = 10_000n;
const freshAmount = () => {
  lastAmount += 1_000n;
  return lastAmount;
};

const FINAL = ['IGNORED', 'APPROVED', 'DUPLICATE', 'REVIEW'] as const;
const finalOf = (message: ReconMessage) => settled(platform, message.id, [...FINAL]);
const matchOf = (message: ReconMessage) => platform.prisma.reconMatch.findUnique({ where: { messageId: message.id } });

/** The recon stream's entries about the text: [type, payload]. */
async function streamed(messageId: string): Promise<[string, unknown][]> {
  const entries = await platform.redis.xrange(STREAMS.recon, '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[1]!) as { event_type: string; aggregate_id: string; payload: unknown })
    .filter((envelope) => envelope.aggregate_id === messageId)
    .map((envelope) => [envelope.event_type, envelope.payload]);
}

describe('a deposit text', () => {
  it('approves the one pending request of its amount and depositor, for the text, once', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '홍길동');
    const message = await receive(platform, kbDeposit(amount, '홍길동'));

    const done = await finalOf(message);
    expect(done).toMatchObject({ status: 'APPROVED', parseKind: 'DEPOSIT', bank: 'KB', amount, depositor: '홍길동', fromBankSender: true, reviewReason: null });
    expect(await matchOf(message)).toMatchObject({ requestId: request.id, playerId: request.playerId, amount, status: 'APPROVED', matchedBy: 'recon', attempts: 0 });
    await expectDecision(platform, request, message.id);
    const matched = { message_id: message.id, request_id: request.id, player_id: request.playerId, amount_minor: amount.toString(), matched_by: 'recon' };
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_DEPOSIT_MATCHED', matched]]);
    await waitFor('the match on the recon stream', async () => (await streamed(message.id)).length === 1);
    expect(await streamed(message.id)).toEqual([['RECON_DEPOSIT_MATCHED', matched]]);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('matches a masked depositor (홍*동) to the request whose name fits the mask, and only to it', async () => {
    const amount = freshAmount();
    const fits = await requestDeposit(platform, amount, '홍길동');
    const other = await requestDeposit(platform, amount, '김길동');
    const message = await receive(platform, kbDeposit(amount, '홍*동'));

    expect(await finalOf(message)).toMatchObject({ status: 'APPROVED', depositor: '홍*동', depositorMasked: true });
    await expectDecision(platform, fits, message.id);
    await expectDecision(platform, other, null);
    await expectReconBooks(platform, { [fits.playerId]: amount, [other.playerId]: null });
  });

  it('sends a text two requests fit to review (AMBIGUOUS), approving neither; the review opens and closes once', async () => {
    const amount = freshAmount();
    const first = await requestDeposit(platform, amount, '이영희');
    const second = await requestDeposit(platform, amount, '이영희');
    const message = await receive(platform, kbDeposit(amount, '이영희'));

    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'AMBIGUOUS' });
    expect(await matchOf(message)).toBeNull();
    await expectDecision(platform, first, null);
    await expectDecision(platform, second, null);

    await dismiss(platform.deps(), platform.brands.acme, message.id, 'asked both players', staffActor());
    const opened = ['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'AMBIGUOUS' }];
    const closed = ['RECON_REVIEW_CLOSED', { message_id: message.id, resolution: 'DISMISSED' }];
    const review = (events: [string, unknown][]) => events.filter(([type]) => type !== 'STAFF_ACTION_RECORDED');
    expect(review(await eventsOf(platform, message.id))).toEqual([opened, closed]);
    await waitFor('the review events on the recon stream', async () => (await streamed(message.id)).length === 3);
    expect(review(await streamed(message.id))).toEqual([opened, closed]);
    await expectReconBooks(platform, { [first.playerId]: null, [second.playerId]: null });
  });

  it('sends a text to review (AMBIGUOUS) when more requests of its amount are pending than the wallet lists, approving none', async () => {
    const amount = freshAmount();
    const { acme } = platform.brands;
    const now = Date.now();
    // 50 older requests of other names, one of which fits the masked depositor; the payer's is the 51st, past the wallet's page.
    const older = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        platform.prisma.depositRequest.create({
          data: { brandId: acme.id, playerId: randomUUID(), amount, currency: acme.currency, depositorName: index === 0 ? '한민인' : `김${index}수`, createdAt: new Date(now - 60_000 + index * 100) },
        }),
      ),
    );
    const payer = await requestDeposit(platform, amount, '한국인');
    const message = await receive(platform, kbDeposit(amount, '한*인'));

    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'AMBIGUOUS' });
    expect(await matchOf(message)).toBeNull();
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'AMBIGUOUS' }]]);
    await expectDecision(platform, payer, null);
    expect(await platform.prisma.depositRequest.count({ where: { id: { in: older.map((request) => request.id) }, status: 'PENDING' } })).toBe(50);
    await expectReconBooks(platform, Object.fromEntries([payer, ...older].map((request) => [request.playerId, null])));
  });

  it('waits for a request made after it, and approves it', async () => {
    const amount = freshAmount();
    const message = await receive(platform, kbDeposit(amount, '박민수'));
    const waiting = await settled(platform, message.id, ['WAITING']);
    expect(waiting.giveUpAt).toEqual(new Date(message.receivedAt.getTime() + WAIT_FOR_REQUEST_MS));

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const request = await requestDeposit(platform, amount, '박민수');
    expect(await finalOf(message)).toMatchObject({ status: 'APPROVED' });
    await expectDecision(platform, request, message.id);
    expect((await eventsOf(platform, message.id)).map(([type]) => type)).toEqual(['RECON_DEPOSIT_MATCHED']);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('goes to review (NO_CANDIDATE) when no request comes in time', async () => {
    const amount = freshAmount();
    const message = await receive(platform, kbDeposit(amount, '최지우'));
    await settled(platform, message.id, ['WAITING']);
    const done = await settled(platform, message.id, ['REVIEW'], WAIT_FOR_REQUEST_MS + 10_000);
    expect(done).toMatchObject({ reviewReason: 'NO_CANDIDATE' });
    expect(Date.now()).toBeGreaterThanOrEqual(message.receivedAt.getTime() + WAIT_FOR_REQUEST_MS);
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'NO_CANDIDATE' }]]);
  });
});

describe('a deposit reported more than once', () => {
  it('approves the same SMS delivered three times once; the others are DUPLICATEs of it', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '정우성');
    const text = kbDeposit(amount, '정우성');
    const now = Date.now();
    const messages = await Promise.all([0, 5_000, 40_000].map((later) => receive(platform, text, { receivedAt: new Date(now + later) })));

    const done = await Promise.all(messages.map(finalOf));
    const approved = done.filter((message) => message.status === 'APPROVED');
    expect(approved).toHaveLength(1);
    const duplicates = done.filter((message) => message.status === 'DUPLICATE');
    expect(duplicates.map((message) => message.duplicateOfId)).toEqual([approved[0]!.id, approved[0]!.id]);
    await expectDecision(platform, request, approved[0]!.id);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('approves an SMS and the app push of one deposit 20 s apart (one masked) once, whichever is read first', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '강감찬');
    const now = Date.now();
    const [sms, push] = await Promise.all([
      receive(platform, kbDeposit(amount, '강감찬'), { receivedAt: new Date(now) }),
      receive(platform, kbPush(amount, '강*찬'), { receivedAt: new Date(now + 20_000) }),
    ]);

    const done = await Promise.all([finalOf(sms), finalOf(push)]);
    expect(done.map((message) => message.status).sort()).toEqual(['APPROVED', 'DUPLICATE']);
    const original = done.find((message) => message.status === 'APPROVED')!;
    expect(done.find((message) => message.status === 'DUPLICATE')!.duplicateOfId).toBe(original.id);
    await expectDecision(platform, request, original.id);
    await expectReconBooks(platform, { [request.playerId]: amount });
  });

  it('takes an SMS delivered again, after its push, for the push’s deposit, though another request of its amount and name waits', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '안중근');
    const push = await receive(platform, kbPush(amount, '안*근'));
    expect(await finalOf(push)).toMatchObject({ status: 'APPROVED' });
    const another = await requestDeposit(platform, amount, '안중근');
    const sms = kbDeposit(amount, '안중근');
    const first = await receive(platform, sms);
    expect(await finalOf(first)).toMatchObject({ status: 'DUPLICATE', duplicateOfId: push.id });
    const again = await receive(platform, sms, { receivedAt: new Date(Date.now() + 30_000) });
    expect(await finalOf(again)).toMatchObject({ status: 'DUPLICATE', duplicateOfId: push.id });

    await expectDecision(platform, request, push.id);
    await expectDecision(platform, another, null);
    await expectReconBooks(platform, { [request.playerId]: amount, [another.playerId]: null });
  });

  it('approves a second deposit of the same amount and name, reported again by SMS and push, as a deposit of its own', async () => {
    const amount = freshAmount();
    const first = await requestDeposit(platform, amount, '윤서연');
    const firstSms = await receive(platform, kbDeposit(amount, '윤서연', { balance: amount }));
    expect(await finalOf(firstSms)).toMatchObject({ status: 'APPROVED' });
    const firstPush = await receive(platform, kbPush(amount, '윤*연'));
    expect(await finalOf(firstPush)).toMatchObject({ status: 'DUPLICATE', duplicateOfId: firstSms.id });

    const second = await requestDeposit(platform, amount, '윤서연', first.playerId);
    const secondSms = await receive(platform, kbDeposit(amount, '윤서연', { balance: 2n * amount }));
    expect(await finalOf(secondSms)).toMatchObject({ status: 'APPROVED', duplicateOfId: null });
    const secondPush = await receive(platform, kbPush(amount, '윤*연'));
    expect(await finalOf(secondPush)).toMatchObject({ status: 'DUPLICATE', duplicateOfId: secondSms.id });

    await expectDecision(platform, first, firstSms.id);
    await expectDecision(platform, second, secondSms.id);
    await expectReconBooks(platform, { [first.playerId]: 2n * amount });
  });
});

describe('texts that approve nothing', () => {
  it('sets withdrawals, card approvals and one-time codes naming a pending amount and name aside (IGNORED)', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '한지민');
    const texts = [kbWithdrawal(amount, '한지민'), kbCard(amount, '한지민'), kbCode(amount, '한지민')];
    const messages = await Promise.all(texts.map((text) => receive(platform, text)));

    const done = await Promise.all(messages.map(finalOf));
    expect(done.map((message) => [message.status, message.parseKind, message.ignoredReason])).toEqual([
      ['IGNORED', 'IGNORED', 'WITHDRAWAL'],
      ['IGNORED', 'IGNORED', 'CARD'],
      ['IGNORED', 'IGNORED', 'OTP'],
    ]);
    for (const message of messages) {
      expect(await matchOf(message)).toBeNull();
      expect(await eventsOf(platform, message.id)).toEqual([]);
    }
    await expectDecision(platform, request, null);
    await expectReconBooks(platform, { [request.playerId]: null });
  });

  it('sends a deposit text from a sender that is not the bank to review (SENDER_MISMATCH)', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '조민호');
    const message = await receive(platform, kbDeposit(amount, '조민호', { sender: '010-1234-5678' }));

    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'SENDER_MISMATCH', parseKind: 'DEPOSIT', fromBankSender: false, amount });
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'SENDER_MISMATCH' }]]);
    await expectDecision(platform, request, null);
    await expectReconBooks(platform, { [request.playerId]: null });
  });

  it('sends a deposit text whose amount or balance is past what money may be to review (UNRECOGNISED), reading nothing', async () => {
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '배수지');
    const huge = 12_345_678_901_234_567_890n;
    const messages = await Promise.all([kbDeposit(huge, '배수지'), kbDeposit(amount, '배수지', { balance: huge })].map((text) => receive(platform, text)));

    for (const message of await Promise.all(messages.map(finalOf))) {
      expect(message).toMatchObject({ status: 'REVIEW', reviewReason: 'UNRECOGNISED', parseKind: 'IGNORED', ignoredReason: 'UNRECOGNISED', bank: 'KB', amount: null, balance: null });
      expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'UNRECOGNISED' }]]);
    }
    await expectDecision(platform, request, null);
    await expectReconBooks(platform, { [request.playerId]: null });
  });

  it('sends a text whose processing fails again and again to review (ERROR) after MAX_FAILURES turns, not trying it for ever', async () => {
    // A device registered to a brand the brand catalogue does not know: each turn on its text fails.
    const device = await platform.prisma.reconDevice.create({ data: { id: `orphan-${randomUUID()}`, brandId: randomUUID(), label: 'orphan' } });
    const message = await receive(platform, kbDeposit(freshAmount(), '고아라'), { device: device.id });
    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'ERROR', parsedAt: null, failures: MAX_FAILURES, attempts: MAX_FAILURES });
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'ERROR' }]]);
    // In review, it is claimed no more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await platform.prisma.reconMessage.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'REVIEW', attempts: MAX_FAILURES });
  });

  it('sends a text it cannot read to review (UNRECOGNISED)', async () => {
    const message = await receive(platform, { channel: 'SMS', sender: '15889999', body: '[KB국민] 고객님의 소중한 자산을 지켜드립니다' });
    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'UNRECOGNISED', parseKind: 'IGNORED', ignoredReason: 'UNRECOGNISED' });
  });
});

describe('a match the wallet refuses', () => {
  it('undoes a match whose approval the wallet refuses as malformed (a request in another currency) and sends the text to review (REQUEST_REFUSED)', async () => {
    const amount = freshAmount();
    const { acme } = platform.brands;
    const request = await platform.prisma.depositRequest.create({
      data: { brandId: acme.id, playerId: randomUUID(), amount, currency: 'USD', depositorName: '송중기' },
    });
    const message = await receive(platform, kbDeposit(amount, '송중기'));

    expect(await finalOf(message)).toMatchObject({ status: 'REVIEW', reviewReason: 'REQUEST_REFUSED' });
    expect(await matchOf(message)).toBeNull();
    expect(await eventsOf(platform, message.id)).toEqual([['RECON_REVIEW_OPENED', { message_id: message.id, reason: 'REQUEST_REFUSED' }]]);
    await expectDecision(platform, request, null);
    await expectReconBooks(platform, { [request.playerId]: null });
  });
});

describe('the wallet away', () => {
  it('tries a text again while the wallet is down, then approves its request exactly once, though its answers get lost and another request comes', async () => {
    await worker.close();
    const down = await platform.startWorker({ WALLET_URL: await downUrl() });
    const amount = freshAmount();
    const request = await requestDeposit(platform, amount, '서지훈');
    const message = await receive(platform, kbDeposit(amount, '서지훈'));
    await waitFor(`${MAX_FAILURES + 1} attempts without an answer`, async () => (await platform.prisma.reconMessage.findUniqueOrThrow({ where: { id: message.id } })).attempts > MAX_FAILURES);
    // Waiting for the wallet is no failure: however long, the text is not sent to review (ERROR).
    expect(await platform.prisma.reconMessage.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'RECEIVED', parseKind: 'DEPOSIT', failures: 0 });
    expect(await matchOf(message)).toBeNull();
    await down.close();

    // Back, but the wallet's answers to the first approvals are lost on their way: each was applied, or repeated.
    const wallet = await lossyWallet(platform.wallet.url);
    wallet.losing = 4;
    try {
      worker = await platform.startWorker({ WALLET_URL: wallet.url });
      await waitFor('the match', async () => (await matchOf(message)) ?? undefined);
      const latecomer = await requestDeposit(platform, amount, '서지훈');

      expect(await finalOf(message)).toMatchObject({ status: 'APPROVED' });
      const match = await matchOf(message);
      expect(match).toMatchObject({ requestId: request.id, status: 'APPROVED', attempts: 4 });
      expect(match!.approvedAt!.getTime()).toBeGreaterThan(latecomer.createdAt.getTime());
      expect(wallet.approvals).toBe(5);
      await expectDecision(platform, request, message.id);
      await expectDecision(platform, latecomer, null);
      expect((await eventsOf(platform, message.id)).map(([type]) => type)).toEqual(['RECON_DEPOSIT_MATCHED']);
      await expectReconBooks(platform, { [request.playerId]: amount, [latecomer.playerId]: null });
    } finally {
      await worker.close();
      await wallet.close();
      worker = await platform.startWorker();
    }
  });

  it('turns the worker unhealthy while a match waits for the wallet over 10 minutes, naming it, and healthy once it is settled', async () => {
    const amount = freshAmount();
    const message = await platform.prisma.reconMessage.create({
      data: {
        brandId: platform.brands.acme.id,
        deviceId: DEVICE,
        channel: 'SMS',
        sender: '15889999',
        body: kbDeposit(amount, '문채원').body,
        receivedAt: new Date(Date.now() - 11 * 60_000),
        dedupeKey: `test|${randomUUID()}`,
        status: 'MATCHED',
        // Held by a claim that is not this worker's: it leaves the match alone.
        nextAttemptAt: new Date(Date.now() + 60 * 60_000),
      },
    });
    const match = await platform.prisma.reconMatch.create({
      data: {
        messageId: message.id,
        requestId: randomUUID(),
        brandId: message.brandId,
        amount,
        matchedBy: 'recon',
        attempts: 9,
        lastError: 'connect ECONNREFUSED',
        createdAt: new Date(Date.now() - 11 * 60_000),
      },
    });
    try {
      const health = await waitFor(
        'recon_worker unhealthy',
        async () => {
          const answer = await fetch(`${worker.url}/health`);
          return answer.status === 503 ? ((await answer.json()) as { reason: string; loops: { stuckApprovals?: unknown[] }[] }) : undefined;
        },
        20_000,
      );
      expect(health.reason).toContain(match.id);
      expect(health.loops.flatMap((loop) => loop.stuckApprovals ?? [])).toEqual([{ id: match.id, messageId: message.id, attempts: 9, lastError: 'connect ECONNREFUSED' }]);
      const metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
      const oldest = Number(metrics.match(/^recon_match_oldest_approving_seconds\{[^}]*\} (\S+)$/m)?.[1]);
      expect(oldest).toBeGreaterThanOrEqual(660);
    } finally {
      await platform.prisma.reconMatch.delete({ where: { id: match.id } });
      await platform.prisma.reconMessage.delete({ where: { id: message.id } });
    }
    await waitFor('recon_worker healthy again', async () => (await fetch(`${worker.url}/health`)).status === 200, 20_000);
  });
});
