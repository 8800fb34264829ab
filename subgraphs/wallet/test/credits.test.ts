/**
 * The keyed movements of the other services over the internal API: promotion credits and
 * reversals, agent/staff adjustments, and the rolling-completion confirmation.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import { derivedEventId } from '@rgb/events';
import { brandBody, entriesOf, expectBooks, fund, outboxRows, serviceClient, type ServiceClient, startWallet, writeCounts } from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server, 'promotion');
});
afterAll(() => server?.close());

const demo = () => server.brands.demo;
const keyed = (player: string, key: string, amount: string, extra: Record<string, unknown> = {}) => ({
  brand: brandBody(demo()),
  player_id: player,
  key,
  reference: `coupon:${key}`,
  caused_by: 'service:promotion',
  amount_minor: amount,
  ...extra,
});
const ok = (balance: string, minor: bigint, duplicate = false) => ({ balance, balance_minor: minor.toString(), currency: 'USD', duplicate });

describe('promotions/credit', () => {
  it('credits once per key: a repeat answers duplicate:true with the first balance and moves nothing', async () => {
    const player = randomUUID();
    expect(await call('promotions/credit', keyed(player, `pc-${player}`, '1000'))).toEqual({ status: 200, body: ok('10.00', 1_000n) });
    await fund(call, demo(), player, 500n);
    const before = await writeCounts(server);
    expect(await call('promotions/credit', keyed(player, `pc-${player}`, '1000'))).toEqual({ status: 200, body: ok('10.00', 1_000n, true) });
    expect(await writeCounts(server)).toEqual(before);
    expect(await entriesOf(server, `promotion.credit:${demo().id}:pc-${player}`)).toMatchObject([{ kind: 'PROMOTION_CREDIT', amount: 1_000n, reference: `coupon:pc-${player}` }]);
    await expectBooks(server, { [player]: 1_500n });
  });

  it('keys are per brand: two brands may use one key, neither learning of the other', async () => {
    const onDemo = randomUUID();
    const onAcme = randomUUID();
    const key = `shared-${onDemo}`;
    expect((await call('promotions/credit', keyed(onDemo, key, '100'))).body).toEqual(ok('1.00', 100n));
    expect((await call('promotions/credit', keyed(onAcme, key, '200', { brand: brandBody(server.brands.acme) }))).body).toMatchObject({ balance_minor: '200', duplicate: false });
    expect((await call('adjustments', keyed(onDemo, key, '5', { reason: 'r' }))).body).toEqual(ok('1.05', 105n));
    expect((await call('adjustments', keyed(onAcme, key, '7', { reason: 'r', brand: brandBody(server.brands.acme) }))).body).toMatchObject({ balance_minor: '207', duplicate: false });
    await expectBooks(server, { [onDemo]: 105n, [onAcme]: 207n });
  });

  it('the same key with another amount or another player is 409 CONFLICT, moving nothing', async () => {
    const player = randomUUID();
    await call('promotions/credit', keyed(player, `pcc-${player}`, '1000'));
    const before = await writeCounts(server);
    const otherAmount = await call('promotions/credit', keyed(player, `pcc-${player}`, '1001'));
    expect(otherAmount.status).toBe(409);
    expect(otherAmount.body.error.code).toBe('CONFLICT');
    const otherPlayer = randomUUID();
    expect((await call('promotions/credit', keyed(otherPlayer, `pcc-${player}`, '1000'))).status).toBe(409);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 1_000n, [otherPlayer]: null });
  });

  it('fired many times at once with one key credits once', async () => {
    const player = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => call('promotions/credit', keyed(player, `pcr-${player}`, '250'))));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.balance))).toEqual(new Set(['2.50']));
    await expectBooks(server, { [player]: 250n });
  });

  it('refuses a zero amount, a malformed key or amount, and a missing reference with 400, writing nothing', async () => {
    const player = randomUUID();
    const before = await writeCounts(server);
    const bad = [
      keyed(player, `pcz-${player}`, '0'),
      keyed(player, `pcz-${player}`, '00'),
      keyed(player, 'has spaces', '100'),
      keyed(player, '', '100'),
      keyed(player, 'x'.repeat(129), '100'),
      keyed(player, `pcb-${player}`, '-100'),
      keyed(player, `pcb-${player}`, '1.5'),
      keyed(player, `pcb-${player}`, '1000000000000001'),
      keyed(player, `pcb-${player}`, '100', { reference: '' }),
      keyed(player, `pcb-${player}`, '100', { player_id: 'nobody' }),
      keyed(player, `pcb-${player}`, '100', { brand: { ...brandBody(demo()), currency: 'ZZZ' } }),
    ];
    for (const body of bad) {
      const response = await call('promotions/credit', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: null });
  });
});

describe('promotions/reverse', () => {
  it('takes a bonus back once per key', async () => {
    const player = randomUUID();
    await call('promotions/credit', keyed(player, `pr-${player}`, '1000'));
    expect(await call('promotions/reverse', keyed(player, `pr-${player}`, '400'))).toEqual({ status: 200, body: ok('6.00', 600n) });
    expect(await call('promotions/reverse', keyed(player, `pr-${player}`, '400'))).toEqual({ status: 200, body: ok('6.00', 600n, true) });
    expect(await entriesOf(server, `promotion.reverse:${demo().id}:pr-${player}`)).toMatchObject([{ kind: 'PROMOTION_REVERSAL', amount: -400n }]);
    const otherAmount = await call('promotions/reverse', keyed(player, `pr-${player}`, '300'));
    expect(otherAmount.status).toBe(409);
    expect(otherAmount.body.error.code).toBe('CONFLICT');
    await expectBooks(server, { [player]: 600n });
  });

  it('never below zero: 422 INSUFFICIENT_FUNDS with the balance, and the key stays free', async () => {
    const player = randomUUID();
    await call('promotions/credit', keyed(player, `prn-${player}`, '1000'));
    // The player has spent part of the bonus already.
    await call('adjustments', keyed(player, `prn-spent-${player}`, '-600', { reason: 'spent' }));
    const before = await writeCounts(server);
    const refused = await call('promotions/reverse', keyed(player, `prn-${player}`, '1000'));
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '4.00' });
    expect(await writeCounts(server)).toEqual(before);
    expect((await call('promotions/reverse', keyed(player, `prn-${player}`, '400'))).body).toEqual(ok('0.00', 0n));
    await expectBooks(server, { [player]: 0n });
  });

  it('reverses only a credit of this player, by no more than it paid, once: NOT_FOUND, 400, then the first result', async () => {
    const player = randomUUID();
    const other = randomUUID();
    await call('promotions/credit', keyed(player, `prc-${player}`, '500'));
    await call('promotions/credit', keyed(other, `prc-${other}`, '500'));
    const before = await writeCounts(server);
    const noCredit = await call('promotions/reverse', keyed(player, `prc-none-${player}`, '100'));
    expect(noCredit.status).toBe(404);
    expect(noCredit.body.error.code).toBe('NOT_FOUND');
    expect((await call('promotions/reverse', keyed(player, `prc-${other}`, '100'))).body.error.code).toBe('NOT_FOUND');
    expect((await call('promotions/reverse', keyed(player, `prc-${player}`, '501'))).body.error.code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
    expect((await call('promotions/reverse', keyed(player, `prc-${player}`, '500'))).body).toEqual(ok('0.00', 0n));
    // A second reversal of the same credit is its first result, whatever the caller retries with.
    expect((await call('promotions/reverse', keyed(player, `prc-${player}`, '500'))).body).toEqual(ok('0.00', 0n, true));
    expect((await call('promotions/reverse', keyed(player, `prc-${player}`, '100'))).body.error.code).toBe('CONFLICT');
    await expectBooks(server, { [player]: 0n, [other]: 500n });
  });

  it('duplicates racing the last cents of a balance all answer the first result, none INSUFFICIENT_FUNDS', async () => {
    const player = randomUUID();
    await call('promotions/credit', keyed(player, `prr-${player}`, '1000'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('promotions/reverse', keyed(player, `prr-${player}`, '1000'))));
    expect(answers.map((answer) => [answer.status, answer.body.balance])).toEqual(Array(10).fill([200, '0.00']));
    expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    await expectBooks(server, { [player]: 0n });
  });
});

describe('adjustments', () => {
  /** `reason: null` leaves the reason out of the body. */
  const adjustment = (player: string, key: string, amount: string, reason: string | null = 'agent correction') =>
    keyed(player, key, amount, { caused_by: 'agent:AG1', reference: `agent-adjustment:${key}`, ...(reason === null ? {} : { reason }) });

  it('credit and debit by sign, with the reason on the ledger, once per key', async () => {
    const player = randomUUID();
    expect((await call('adjustments', adjustment(player, `aj-${player}-1`, '2000'))).body).toEqual(ok('20.00', 2_000n));
    expect((await call('adjustments', adjustment(player, `aj-${player}-2`, '-500'))).body).toEqual(ok('15.00', 1_500n));
    expect((await call('adjustments', adjustment(player, `aj-${player}-2`, '-500'))).body).toEqual(ok('15.00', 1_500n, true));
    expect(await entriesOf(server, `adjustment:${demo().id}:aj-${player}-2`)).toMatchObject([{ kind: 'ADJUSTMENT', amount: -500n, reason: 'agent correction', causedBy: 'agent:AG1' }]);
    await expectBooks(server, { [player]: 1_500n });
  });

  it('refuses the key with another amount (409), a debit below zero (422), zero and a missing reason (400)', async () => {
    const player = randomUUID();
    await call('adjustments', adjustment(player, `ajr-${player}`, '1000'));
    const before = await writeCounts(server);
    const conflict = await call('adjustments', adjustment(player, `ajr-${player}`, '-1000'));
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'CONFLICT']);
    const poor = await call('adjustments', adjustment(player, `ajr-${player}-neg`, '-1001'));
    expect([poor.status, poor.body.error.code, poor.body.error.balance]).toEqual([422, 'INSUFFICIENT_FUNDS', '10.00']);
    for (const body of [adjustment(player, `ajr-${player}-0`, '0'), adjustment(player, `ajr-${player}-m0`, '-0'), adjustment(player, `ajr-${player}-r`, '5', null), adjustment(player, `ajr-${player}-e`, '5', '')]) {
      expect((await call('adjustments', body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 1_000n });
  });
});

describe('rolling-completions', () => {
  const complete = (rolling: string, player: string, brand = demo()) => call('rolling-completions', { brand: brandBody(brand), rolling_id: rolling, player_id: player });

  it('writes one ROLLING_COMPLETED_CONFIRMED per rolling id, with the brand; the second call answers duplicate:true', async () => {
    const [rolling, player] = [randomUUID(), randomUUID()];
    expect(await complete(rolling, player)).toEqual({ status: 200, body: { duplicate: false } });
    expect(await complete(rolling, player)).toEqual({ status: 200, body: { duplicate: true } });
    const rows = await outboxRows(server, 'ROLLING_COMPLETED_CONFIRMED', rolling);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.brandId).toBe(demo().id);
    expect(rows[0]!.eventId).toBe(derivedEventId(`rolling.completed:${rolling}`));
    expect(rows[0]!.envelope).toMatchObject({ brand_id: demo().id, aggregate_type: 'rolling', payload: { rolling_id: rolling, player_id: player } });
    expect(await complete(randomUUID(), player, server.brands.acme)).toEqual({ status: 200, body: { duplicate: false } });
    await expectBooks(server, {});
  });

  it('fired many times at once still writes one row', async () => {
    const [rolling, player] = [randomUUID(), randomUUID()];
    const answers = await Promise.all(Array.from({ length: 12 }, () => complete(rolling, player)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    expect(answers.filter((answer) => answer.body.duplicate === false)).toHaveLength(1);
    expect(await outboxRows(server, 'ROLLING_COMPLETED_CONFIRMED', rolling)).toHaveLength(1);
  });

  it('refuses a malformed rolling or player id with 400 and writes nothing', async () => {
    const before = await writeCounts(server);
    expect((await complete('rolling-1', randomUUID())).status).toBe(400);
    expect((await complete(randomUUID(), 'player-1')).status).toBe(400);
    expect(await writeCounts(server)).toEqual(before);
  });
});
