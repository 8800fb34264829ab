import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECON_DOORBELL } from '../src/domain';
import { storeMessage } from '../src/ingest/messages';
import { splitForwardedText } from '../src/ingest/telegram';
import { type ReconIngest, smsSignature, startReconIngest, TELEGRAM_SECRET } from './support';

let ingest: ReconIngest;
let acmePhone: string;

beforeAll(async () => {
  ingest = await startReconIngest();
  acmePhone = await ingest.device(ingest.recon.brands.acme);
});
afterAll(async () => {
  await ingest?.close();
});

const prisma = () => ingest.recon.deps.prisma;
const rowsOf = (deviceId: string) => prisma().reconMessage.findMany({ where: { deviceId }, orderBy: { id: 'asc' } });

/** Posts `body` (an object is sent as JSON) to the webhook listener as the router passes it on. */
async function post(path: string, body: string | Buffer | object, headers: Record<string, string> = {}, { proof = true } = {}) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(`${ingest.webhookUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(proof ? await ingest.routerHeaders() : {}), ...headers },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** An SMS as a forwarding phone posts it, signed unless a signature is given. */
function postSms(fields: object | string | Buffer, { signature, proof }: { signature?: string; proof?: boolean } = {}) {
  const payload = typeof fields === 'string' || Buffer.isBuffer(fields) ? fields : JSON.stringify(fields);
  return post('/webhooks/sms', payload, { 'x-signature': signature ?? smsSignature(payload) }, { proof });
}

const sms = (deviceId: string, body: string, receivedAt = '2026-12-01T14:03:00+09:00') => ({
  device_id: deviceId,
  sender: '15778000',
  body,
  received_at: receivedAt,
});

const refusalOf = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('POST /webhooks/sms', () => {
  it('stores a signed text as RECEIVED for its device\'s brand, answers 202 with its id, and rings recon_worker after the commit', async () => {
    const deviceId = await ingest.device(ingest.recon.brands.acme);
    const subscriber = new Redis(ingest.recon.deps.config.REDIS_URL);
    try {
      // Each ring must find the row committed: the worker looks at once.
      const rings: Promise<number>[] = [];
      subscriber.on('message', () => rings.push(prisma().reconMessage.count({ where: { deviceId } })));
      await subscriber.subscribe(RECON_DOORBELL);
      const body = '[Web발신]\n신한 12/07 14:03 입금 50,000 홍길동 잔액 1,250,000';
      const answer = await postSms(sms(deviceId, body));
      expect(answer).toEqual({ status: 202, body: { id: expect.any(String) } });
      const [row, ...others] = await rowsOf(deviceId);
      expect(others).toEqual([]);
      expect(row).toMatchObject({
        id: answer.body.id,
        brandId: ingest.recon.brands.acme.id,
        deviceId,
        channel: 'SMS',
        sender: '15778000',
        body,
        receivedAt: new Date('2026-12-01T05:03:00Z'),
        status: 'RECEIVED',
        parseKind: null,
        attempts: 0,
      });
      await expect.poll(() => rings.length).toBeGreaterThan(0);
      expect(await Promise.all(rings)).toContain(1);
    } finally {
      subscriber.disconnect();
    }
  });

  it('answers the same device, time and body again with the same id and stores nothing new, whatever offset the time is written in', async () => {
    const deviceId = await ingest.device(ingest.recon.brands.acme);
    const first = await postSms(sms(deviceId, '입금 10,000원 김철수'));
    expect(first.status).toBe(202);
    expect(await postSms(sms(deviceId, '입금 10,000원 김철수'))).toEqual({ status: 202, body: { id: first.body.id } });
    expect(await postSms(sms(deviceId, '입금 10,000원 김철수', '2026-12-01T05:03:00.000Z'))).toEqual({ status: 202, body: { id: first.body.id } });
    // Another time or another body is another text.
    const later = await postSms(sms(deviceId, '입금 10,000원 김철수', '2026-12-01T14:04:00+09:00'));
    const other = await postSms(sms(deviceId, '입금 20,000원 김철수'));
    expect(new Set([first.body.id, later.body.id, other.body.id]).size).toBe(3);
    expect((await rowsOf(deviceId)).map((row) => row.id)).toEqual([first.body.id, later.body.id, other.body.id]);
    expect(await ingest.recon.deps.metrics.registry.getSingleMetricAsString('recon_webhook_duration_seconds')).toMatch(
      /recon_webhook_duration_seconds_count\{service="recon",route="\/webhooks\/sms",outcome="duplicate"\} 2$/m,
    );
  });

  it('reads the body as the bytes signed whatever content type comes with it, or none', async () => {
    const deviceId = await ingest.device(ingest.recon.brands.acme);
    for (const [i, contentType] of [undefined, 'text/plain', 'application/x-www-form-urlencoded'].entries()) {
      const payload = Buffer.from(JSON.stringify(sms(deviceId, `입금 ${i + 1},000원 김철수`)));
      const response = await fetch(`${ingest.webhookUrl}/webhooks/sms`, {
        method: 'POST',
        headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(await ingest.routerHeaders()), 'x-signature': smsSignature(payload) },
        body: payload,
      });
      expect(response.status, String(contentType)).toBe(202);
    }
    expect((await rowsOf(deviceId)).map((row) => row.body)).toEqual(['입금 1,000원 김철수', '입금 2,000원 김철수', '입금 3,000원 김철수']);
  });

  it('refuses a missing or wrong signature with 401 and stores nothing', async () => {
    const payload = JSON.stringify(sms(acmePhone, '입금 30,000원 이영희'));
    const before = (await rowsOf(acmePhone)).length;
    expect(await post('/webhooks/sms', payload)).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postSms(payload, { signature: smsSignature(payload, 'another-secret-0123456789') })).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postSms(payload, { signature: smsSignature(`${payload} `) })).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postSms(payload, { signature: 'zz'.repeat(32) })).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postSms(payload, { signature: smsSignature(payload).slice(0, 62) })).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect((await rowsOf(acmePhone)).length).toBe(before);
  });

  it('refuses a request that did not come through the router, even signed', async () => {
    const payload = JSON.stringify(sms(acmePhone, '입금 40,000원 박민수'));
    const answer = await postSms(payload, { proof: false });
    expect(answer).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'webhooks come through the router' } } });
    expect(await post('/webhooks/sms', payload, { 'x-signature': smsSignature(payload), 'x-rgb-router': 'forged' }, { proof: false })).toEqual(answer);
    expect((await rowsOf(acmePhone)).filter((row) => row.body.includes('박민수'))).toEqual([]);
  });

  it('refuses a body that is not what the contract says with 400 naming the field, and stores nothing', async () => {
    const before = (await rowsOf(acmePhone)).length;
    const refused = async (payload: string | Buffer, field: string) => {
      const answer = await postSms(payload);
      expect(answer, String(payload)).toEqual({ status: 400, body: refusalOf('BAD_USER_INPUT') });
      expect(answer.body.error.message).toContain(field);
    };
    await refused('{"device_id":', 'JSON');
    await refused(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'UTF-8');
    await refused('[]', 'request');
    await refused(JSON.stringify({ ...sms(acmePhone, 'x'), body: 50000 }), 'body');
    await refused(JSON.stringify({ ...sms(acmePhone, 'x'), sender: null }), 'sender');
    await refused(JSON.stringify({ device_id: acmePhone, sender: 'x', body: 'x' }), 'received_at');
    await refused(JSON.stringify(sms(acmePhone, 'x', '2026-12-07T14:03:00')), 'received_at');
    await refused(JSON.stringify(sms(acmePhone, 'x', '2026-12-07')), 'received_at');
    await refused(JSON.stringify(sms(acmePhone, 'x', 'yesterday')), 'received_at');
    await refused(JSON.stringify(sms(acmePhone, 'x', new Date(Date.now() + 6 * 60_000).toISOString())), 'received_at');
    await refused(JSON.stringify(sms(acmePhone, '')), 'body');
    await refused(JSON.stringify(sms(acmePhone, 'x'.repeat(2_001))), 'body');
    await refused(JSON.stringify({ ...sms(acmePhone, 'x'), sender: '1'.repeat(65) }), 'sender');
    await refused(JSON.stringify(sms(acmePhone, '입금\u0000 10,000원')), 'body');
    await refused(JSON.stringify(sms(acmePhone, 'half \ud800 a pair')), 'body');
    await refused(JSON.stringify({ ...sms(acmePhone, 'x'), device_id: '' }), 'device_id');
    expect((await rowsOf(acmePhone)).length).toBe(before);
  });

  it('refuses a body larger than WEBHOOK_MAX_BYTES with 413 and stores nothing', async () => {
    const payload = JSON.stringify({ ...sms(acmePhone, '입금 1원 최'), padding: 'x'.repeat(16 * 1024) });
    expect(Buffer.byteLength(payload)).toBeGreaterThan(16 * 1024);
    expect(await postSms(payload)).toEqual({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than 16384 bytes' } } });
    expect((await rowsOf(acmePhone)).filter((row) => row.body === '입금 1원 최')).toEqual([]);
  });

  it('refuses a device that is not registered, or no longer active, with 403 and stores nothing', async () => {
    const inactive = await ingest.device(ingest.recon.brands.acme, { active: false });
    expect(await postSms(sms('nobody-phone', '입금 10,000원 김철수'))).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'nobody-phone is not a registered, active recon device' } },
    });
    expect(await postSms(sms(inactive, '입금 10,000원 김철수'))).toEqual({ status: 403, body: refusalOf('FORBIDDEN') });
    expect(await prisma().reconMessage.count({ where: { deviceId: { in: ['nobody-phone', inactive] } } })).toBe(0);
  });

  it('answers a webhook it does not have with 404', async () => {
    expect(await post('/webhooks/whatsapp', '{}')).toEqual({ status: 404, body: refusalOf('NOT_FOUND') });
  });
});

describe('POST /webhooks/telegram', () => {
  let chatId: number;
  let updateId = randomInt(1_000_000, 2_000_000);
  beforeAll(async () => {
    chatId = -1_000_000_000_000 - randomInt(1_000_000);
    await ingest.device(ingest.recon.brands.acme, { id: `telegram:${chatId}` });
  });

  const update = (text: string | undefined, { kind = 'message', chat = chatId, id = ++updateId, type = 'private' } = {}) => ({
    update_id: id,
    [kind]: { message_id: id, date: 1_796_619_780, chat: { id: chat, type }, ...(text === undefined ? {} : { text }) },
  });
  const postUpdate = (body: object | string, secret: string | null = TELEGRAM_SECRET) =>
    post('/webhooks/telegram', body, secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret });
  const telegramRows = () => rowsOf(`telegram:${chatId}`);

  it('stores a message\'s text under its chat\'s device, the sender its From: line names, and answers 200 with its id', async () => {
    const answer = await postUpdate(update('From: 15778000\n[Web발신]\n신한 12/07 14:03 입금 70,000 홍길동'));
    expect(answer).toEqual({ status: 200, body: { ok: true, id: expect.any(String) } });
    const row = await prisma().reconMessage.findUniqueOrThrow({ where: { id: answer.body.id } });
    expect(row).toMatchObject({
      brandId: ingest.recon.brands.acme.id,
      deviceId: `telegram:${chatId}`,
      channel: 'TELEGRAM',
      sender: '15778000',
      body: '[Web발신]\n신한 12/07 14:03 입금 70,000 홍길동',
      receivedAt: new Date(1_796_619_780 * 1_000),
      status: 'RECEIVED',
    });
    const post2 = await postUpdate(update('발신번호: 1588-9999\nKB 입금 5,000 김*수', { kind: 'channel_post', type: 'channel' }));
    // In a group anyone may post: no sender is trusted, and the From: line stays in the body for staff to see.
    const inGroup = await postUpdate(update('From: 15778000\n신한 12/07 14:05 입금 80,000 홍길동', { type: 'supergroup' }));
    expect(await prisma().reconMessage.findUniqueOrThrow({ where: { id: inGroup.body.id } })).toMatchObject({ sender: '', body: 'From: 15778000\n신한 12/07 14:05 입금 80,000 홍길동' });
    expect(await prisma().reconMessage.findUniqueOrThrow({ where: { id: post2.body.id } })).toMatchObject({ sender: '1588-9999', body: 'KB 입금 5,000 김*수' });
    const plain = await postUpdate(update('우리 입금 9,000원 이*희'));
    expect(await prisma().reconMessage.findUniqueOrThrow({ where: { id: plain.body.id } })).toMatchObject({ sender: '', body: '우리 입금 9,000원 이*희' });
  });

  it('answers an update delivered again with the same id and stores it once', async () => {
    const once = update('입금 1,000원 김철수');
    const first = await postUpdate(once);
    expect(await postUpdate(once)).toEqual({ status: 200, body: { ok: true, id: first.body.id } });
    expect((await telegramRows()).filter((row) => row.id === first.body.id)).toHaveLength(1);
    // The same text in another update is another message (the bank sent it twice).
    const again = await postUpdate(update('입금 1,000원 김철수'));
    expect(again.body.id).not.toBe(first.body.id);
    expect((await telegramRows()).filter((row) => row.body === '입금 1,000원 김철수')).toHaveLength(2);
  });

  it('answers 200 and stores nothing for an edit, a message without text, or an update of another kind', async () => {
    const before = (await telegramRows()).length;
    const ignored = { status: 200, body: { ok: true } };
    expect(await postUpdate(update('입금 2,000원 김철수', { kind: 'edited_message' }))).toEqual(ignored);
    expect(await postUpdate(update('입금 2,000원 김철수', { kind: 'edited_channel_post' }))).toEqual(ignored);
    expect(await postUpdate(update(undefined))).toEqual(ignored);
    expect(await postUpdate({ update_id: ++updateId, my_chat_member: { chat: { id: chatId } } })).toEqual(ignored);
    expect((await telegramRows()).length).toBe(before);
  });

  it('refuses a missing or wrong secret token with 401, and a chat not registered with 403, storing nothing', async () => {
    const before = await prisma().reconMessage.count();
    expect(await postUpdate(update('입금 3,000원 김철수'), null)).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postUpdate(update('입금 3,000원 김철수'), `${TELEGRAM_SECRET}x`)).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postUpdate(update('입금 3,000원 김철수'), TELEGRAM_SECRET.slice(1))).toEqual({ status: 401, body: refusalOf('UNAUTHENTICATED') });
    expect(await postUpdate(update('입금 3,000원 김철수', { chat: 42 }))).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'telegram:42 is not a registered, active recon device' } },
    });
    expect(await postUpdate('{"update_id":')).toEqual({ status: 400, body: refusalOf('BAD_USER_INPUT') });
    const noDate = await postUpdate({ update_id: ++updateId, message: { chat: { id: chatId }, text: 'x' } });
    expect(noDate).toEqual({ status: 400, body: refusalOf('BAD_USER_INPUT') });
    expect(noDate.body.error.message).toContain('message.date');
    expect(await prisma().reconMessage.count()).toBe(before);
  });
});

describe('splitForwardedText', () => {
  it('takes the sender from a forwarder\'s first line, and leaves any other text whole', () => {
    expect(splitForwardedText('From: 15778000\n신한 입금 1,000')).toEqual({ sender: '15778000', body: '신한 입금 1,000' });
    expect(splitForwardedText('from:15778000\r\n\n신한 입금 1,000\n')).toEqual({ sender: '15778000', body: '신한 입금 1,000' });
    expect(splitForwardedText('발신: 하나은행 \n입금')).toEqual({ sender: '하나은행', body: '입금' });
    expect(splitForwardedText('발신번호： 1599-1111\n입금')).toEqual({ sender: '1599-1111', body: '입금' });
    expect(splitForwardedText('From: 15778000')).toEqual({ sender: '', body: 'From: 15778000' });
    expect(splitForwardedText('From: 15778000\n  ')).toEqual({ sender: '', body: 'From: 15778000\n  ' });
    expect(splitForwardedText(`From: ${'1'.repeat(65)}\n입금`)).toEqual({ sender: '', body: `From: ${'1'.repeat(65)}\n입금` });
    expect(splitForwardedText('입금 1,000\nFrom: 15778000')).toEqual({ sender: '', body: '입금 1,000\nFrom: 15778000' });
    expect(splitForwardedText('Fromage: 1\n입금')).toEqual({ sender: '', body: 'Fromage: 1\n입금' });
  });
});

describe('storeMessage', () => {
  it('stores a text delivered many times at once exactly once, every delivery answered with its id', async () => {
    const text = { channel: 'SMS', deviceId: acmePhone, sender: '15778000', body: '입금 77,000원 동시', receivedAt: new Date('2026-12-07T06:00:00Z') } as const;
    const results = await Promise.all(Array.from({ length: 8 }, () => storeMessage(prisma(), text)));
    const rows = (await rowsOf(acmePhone)).filter((row) => row.body === text.body);
    expect(rows).toHaveLength(1);
    expect(results.map((result) => result.id)).toEqual(Array(8).fill(rows[0]!.id));
    expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
  });
});
