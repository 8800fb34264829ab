/**
 * Provider money over `/internal/wallet/{bets,wins,rollbacks}` (the provider callback
 * semantics of docs/api/providers.md): exact repeats answer the first result and move nothing, a reused
 * transaction id is refused, a rollback restores a stake once and tombstones an unknown bet.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrandRef } from '@rgb/kit';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import {
  entriesOf,
  expectBooks,
  fund,
  outboxRows,
  providerBody,
  type ProviderFields,
  serviceClient,
  type ServiceClient,
  startWallet,
  writeCounts,
} from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server);
});
afterAll(() => server?.close());

const demo = () => server.brands.demo;
type Fields = Omit<ProviderFields, 'brand'> & { brand?: BrandRef };
const bet = (fields: Fields) => call('bets', providerBody({ brand: demo(), ...fields }));
const win = (fields: Fields) => call('wins', providerBody({ brand: demo(), ...fields }));
const rollback = (fields: Fields) => call('rollbacks', providerBody({ brand: demo(), ...fields }));
const ok = (balance: string, minor: bigint, duplicate = false) => ({ balance, balance_minor: minor.toString(), currency: 'USD', duplicate });
const providerRow = (tx: string) =>
  server.deps.prisma.providerTransaction.findUnique({ where: { providerCode_transactionId: { providerCode: 'demo', transactionId: tx } } });

/** A player holding `minor` cents on demo. */
async function playerWith(minor: bigint): Promise<string> {
  const player = randomUUID();
  await fund(call, demo(), player, minor);
  return player;
}

describe('bets', () => {
  it('debit the stake: one BET ledger entry, the balance answered as Money and minor units', async () => {
    const player = await playerWith(10_000n);
    const response = await bet({ player, tx: 'bet-1', amount: 1_050n });
    expect(response).toEqual({ status: 200, body: ok('89.50', 8_950n) });
    expect(await entriesOf(server, 'bet:demo:bet-1')).toMatchObject([{ kind: 'BET', amount: -1_050n, balanceAfter: 8_950n, reference: 'demo:round-1' }]);
    expect(await providerRow('bet-1')).toMatchObject({ kind: 'BET', betStatus: 'OPEN', amount: 1_050n, balanceAfter: 8_950n });
    await expectBooks(server, { [player]: 8_950n });
  });

  it('an exact repeat answers duplicate:true with the first balance and moves nothing, even after the balance changed', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'bet-rep', amount: 1_000n });
    await bet({ player, tx: 'bet-rep-later', amount: 500n });
    const before = await writeCounts(server);
    const repeat = await bet({ player, tx: 'bet-rep', amount: 1_000n });
    expect(repeat).toEqual({ status: 200, body: ok('90.00', 9_000n, true) });
    expect(await writeCounts(server)).toEqual(before);
    expect(await entriesOf(server, 'bet:demo:bet-rep')).toHaveLength(1);
    await expectBooks(server, { [player]: 8_500n });
  });

  it('the same transaction id with another amount, round, player or action is 409 DUPLICATE_TRANSACTION', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'bet-dup', amount: 1_000n });
    const other = await playerWith(10_000n);
    const before = await writeCounts(server);
    const refusals = [
      await bet({ player, tx: 'bet-dup', amount: 1_001n }),
      await bet({ player, tx: 'bet-dup', amount: 1_000n, round: 'round-2' }),
      await bet({ player: other, tx: 'bet-dup', amount: 1_000n }),
      await win({ player, tx: 'bet-dup', amount: 1_000n, reference: 'bet-dup' }),
      await rollback({ player, tx: 'bet-dup', reference: 'bet-dup' }),
    ];
    // Each refusal carries the balance of the player it names.
    const balances = ['90.00', '90.00', '100.00', '90.00', '90.00'];
    for (const [index, refusal] of refusals.entries()) {
      expect(refusal.status).toBe(409);
      expect(refusal.body.error).toMatchObject({ code: 'DUPLICATE_TRANSACTION', balance: balances[index] });
    }
    // Named in another currency than the account's, the refusal is still the reused id (no balance to show in that currency).
    const inEuros = await bet({ player, tx: 'bet-dup', amount: 1_001n, brand: { ...demo(), currency: 'EUR' } });
    expect(inEuros.status).toBe(409);
    expect(inEuros.body.error.code).toBe('DUPLICATE_TRANSACTION');
    expect(inEuros.body.error).not.toHaveProperty('balance');
    expect(await writeCounts(server)).toEqual(before);
    expect(await providerRow('bet-dup')).toMatchObject({ kind: 'BET', betStatus: 'OPEN' });
    await expectBooks(server, { [player]: 9_000n, [other]: 10_000n });
  });

  it('repeat_only answers an earlier bet as a repeat and debits no new one (a blocked player\'s provider retrying)', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'ro-bet', amount: 1_000n });
    await rollback({ player, tx: 'ro-rb-unknown', reference: 'ro-gone' });
    const before = await writeCounts(server);
    const repeatOnly = (fields: Fields) => call('bets', { ...providerBody({ brand: demo(), ...fields }), repeat_only: true });
    expect(await repeatOnly({ player, tx: 'ro-bet', amount: 1_000n })).toEqual({ status: 200, body: ok('90.00', 9_000n, true) });
    const fresh = await repeatOnly({ player, tx: 'ro-new', amount: 1_000n });
    expect(fresh.status).toBe(404);
    expect(fresh.body.error).toMatchObject({ code: 'TRANSACTION_NOT_FOUND', balance: '90.00' });
    expect((await repeatOnly({ player, tx: 'ro-gone', amount: 1_000n })).body.error).toMatchObject({ code: 'TRANSACTION_ROLLED_BACK', balance: '90.00' });
    expect((await repeatOnly({ player, tx: 'ro-bet', amount: 999n })).body.error.code).toBe('DUPLICATE_TRANSACTION');
    expect(await writeCounts(server)).toEqual(before);
    expect(await providerRow('ro-new')).toBeNull();
    await expectBooks(server, { [player]: 9_000n });
  });

  it('a bet above the balance is 422 INSUFFICIENT_FUNDS with the balance, and leaves no trace (a retry after funding succeeds)', async () => {
    const player = await playerWith(1_000n);
    const before = await writeCounts(server);
    const refused = await bet({ player, tx: 'bet-poor', amount: 1_001n });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '10.00' });
    expect(await writeCounts(server)).toEqual(before);
    expect(await providerRow('bet-poor')).toBeNull();
    await fund(call, demo(), player, 1n);
    expect(await bet({ player, tx: 'bet-poor', amount: 1_001n })).toEqual({ status: 200, body: ok('0.00', 0n) });
    await expectBooks(server, { [player]: 0n });
  });

  it('a bet of a player without an account is INSUFFICIENT_FUNDS with balance 0.00 and opens nothing', async () => {
    const player = randomUUID();
    const refused = await bet({ player, tx: 'bet-nobody', amount: 1n });
    expect(refused.status).toBe(422);
    expect(refused.body.error.balance).toBe('0.00');
    await expectBooks(server, { [player]: null });
  });

  it('refuses a zero, negative or fractional minor amount with 400, writing nothing', async () => {
    const player = await playerWith(1_000n);
    const before = await writeCounts(server);
    for (const amount of ['0', '-5', '1.5', '1e3', '', '99999999999999999']) {
      const response = await bet({ player, tx: `bet-bad-${amount}`, amount });
      expect(response.status, amount).toBe(400);
      expect(response.body.error.code).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 1_000n });
  });

  it('refuses a brand currency other than the account currency, moving nothing', async () => {
    const player = await playerWith(10_000n);
    const eur = { ...demo(), currency: 'EUR' };
    const before = await writeCounts(server);
    const refused = await bet({ brand: eur, player, tx: 'bet-eur', amount: 100n });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 10_000n });
  });
});

describe('wins', () => {
  it('a win naming its bet credits it and settles the bet: BET_SETTLED_CONFIRMED with the brand, stake and win', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'w-bet-1', amount: 1_000n, round: 'r-w1' });
    const response = await win({ player, tx: 'w-win-1', amount: 2_500n, round: 'r-w1', reference: 'w-bet-1' });
    expect(response).toEqual({ status: 200, body: ok('115.00', 11_500n) });
    expect(await providerRow('w-bet-1')).toMatchObject({ betStatus: 'SETTLED' });
    const [entry] = await entriesOf(server, 'win:demo:w-win-1');
    expect(entry).toMatchObject({ kind: 'WIN', amount: 2_500n, balanceAfter: 11_500n });
    const betRow = (await providerRow('w-bet-1'))!;
    const [event, ...more] = await outboxRows(server, 'BET_SETTLED_CONFIRMED', betRow.id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({
      brand_id: demo().id,
      payload: {
        player_id: player,
        transaction_id: 'w-bet-1',
        round_id: 'r-w1',
        game_category: 'slots',
        bet_amount_minor: '1000',
        win_amount_minor: '2500',
        balance_after_minor: '11500',
        win_ledger_entry_id: entry!.id,
      },
    });
    const repeat = await win({ player, tx: 'w-win-1', amount: 2_500n, round: 'r-w1', reference: 'w-bet-1' });
    expect(repeat.body).toEqual(ok('115.00', 11_500n, true));
    expect(await outboxRows(server, 'BET_SETTLED_CONFIRMED', betRow.id)).toHaveLength(1);
    await expectBooks(server, { [player]: 11_500n });
  });

  it('a win without a reference settles the open bets of its round', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'w-r-a', amount: 100n, round: 'r-w2' });
    await bet({ player, tx: 'w-r-b', amount: 200n, round: 'r-w2' });
    await bet({ player, tx: 'w-r-other', amount: 300n, round: 'r-other' });
    expect((await win({ player, tx: 'w-r-win', amount: 1_000n, round: 'r-w2' })).body).toEqual(ok('104.00', 10_400n));
    expect((await providerRow('w-r-a'))!.betStatus).toBe('SETTLED');
    expect((await providerRow('w-r-b'))!.betStatus).toBe('SETTLED');
    expect((await providerRow('w-r-other'))!.betStatus).toBe('OPEN');
    await expectBooks(server, { [player]: 10_400n });
  });

  it('a win of "0" is allowed: it settles a lost bet and moves nothing', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'w0-bet', amount: 700n, round: 'r-w0' });
    const entries = await server.deps.prisma.ledgerEntry.count();
    expect(await win({ player, tx: 'w0-win', amount: 0n, round: 'r-w0', reference: 'w0-bet' })).toEqual({ status: 200, body: ok('93.00', 9_300n) });
    expect(await server.deps.prisma.ledgerEntry.count()).toBe(entries);
    expect((await providerRow('w0-bet'))!.betStatus).toBe('SETTLED');
    const [event] = await outboxRows(server, 'BET_SETTLED_CONFIRMED', (await providerRow('w0-bet'))!.id);
    expect(event!.envelope).toMatchObject({ payload: { bet_amount_minor: '700', win_amount_minor: '0', win_ledger_entry_id: null } });
    expect((await win({ player, tx: 'w0-win', amount: 0n, round: 'r-w0', reference: 'w0-bet' })).body.duplicate).toBe(true);
    await expectBooks(server, { [player]: 9_300n });
  });

  it('a win without any bet is 404 TRANSACTION_NOT_FOUND and leaves no trace (the same id works once the bet exists)', async () => {
    const player = await playerWith(10_000n);
    const before = await writeCounts(server);
    const named = await win({ player, tx: 'wnf-win', amount: 500n, round: 'r-wnf', reference: 'wnf-bet' });
    expect(named.status).toBe(404);
    expect(named.body.error).toMatchObject({ code: 'TRANSACTION_NOT_FOUND', message: 'no bet wnf-bet', balance: '100.00' });
    const unnamed = await win({ player, tx: 'wnf-win', amount: 500n, round: 'r-wnf' });
    expect(unnamed.status).toBe(404);
    expect(unnamed.body.error).toMatchObject({ code: 'TRANSACTION_NOT_FOUND', message: 'no bet in round r-wnf' });
    expect(await writeCounts(server)).toEqual(before);
    // Someone else's bet is not this player's bet either.
    const other = await playerWith(10_000n);
    await bet({ player: other, tx: 'wnf-bet', amount: 100n, round: 'r-wnf' });
    expect((await win({ player, tx: 'wnf-win', amount: 500n, round: 'r-wnf', reference: 'wnf-bet' })).body.error.code).toBe('TRANSACTION_NOT_FOUND');
    await bet({ player, tx: 'wnf-bet-own', amount: 100n, round: 'r-wnf' });
    expect((await win({ player, tx: 'wnf-win', amount: 500n, round: 'r-wnf', reference: 'wnf-bet-own' })).body).toEqual(ok('104.00', 10_400n));
    await expectBooks(server, { [player]: 10_400n, [other]: 9_900n });
  });

  it('a win naming a win (not a bet) is TRANSACTION_NOT_FOUND', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'ww-bet', amount: 100n });
    await win({ player, tx: 'ww-win', amount: 100n, reference: 'ww-bet' });
    const refused = await win({ player, tx: 'ww-win-2', amount: 100n, reference: 'ww-win' });
    expect(refused.body.error.code).toBe('TRANSACTION_NOT_FOUND');
    await expectBooks(server, { [player]: 10_000n });
  });

  it('a win with another brand currency than the account is refused, also for "0"', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'wc-bet', amount: 100n, round: 'r-wc' });
    const eur = { ...demo(), currency: 'EUR' };
    const before = await writeCounts(server);
    const paid = await win({ brand: eur, player, tx: 'wc-win', amount: 100n, round: 'r-wc', reference: 'wc-bet' });
    expect(paid.status).toBe(400);
    const zero = await win({ brand: eur, player, tx: 'wc-win-0', amount: 0n, round: 'r-wc', reference: 'wc-bet' });
    expect(zero.status).toBe(400);
    expect(await writeCounts(server)).toEqual(before);
    expect((await providerRow('wc-bet'))!.betStatus).toBe('OPEN');
    await expectBooks(server, { [player]: 9_900n });
  });
});

describe('rollbacks', () => {
  it('restore the stake once: BET_ROLLED_BACK_CONFIRMED with the brand; a second rollback with another id moves nothing', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'rb-bet', amount: 2_000n, round: 'r-rb' });
    expect(await rollback({ player, tx: 'rb-1', round: 'r-rb', reference: 'rb-bet' })).toEqual({ status: 200, body: ok('100.00', 10_000n) });
    expect(await entriesOf(server, 'rollback:demo:rb-bet')).toMatchObject([{ kind: 'BET_ROLLBACK', amount: 2_000n }]);
    const betRow = (await providerRow('rb-bet'))!;
    expect(betRow.betStatus).toBe('ROLLED_BACK');
    const [event, ...more] = await outboxRows(server, 'BET_ROLLED_BACK_CONFIRMED', betRow.id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({ brand_id: demo().id, payload: { player_id: player, transaction_id: 'rb-bet', amount_minor: '2000', balance_after_minor: '10000' } });

    await bet({ player, tx: 'rb-later', amount: 500n, round: 'r-rb2' });
    const entries = await server.deps.prisma.ledgerEntry.count();
    expect(await rollback({ player, tx: 'rb-2', round: 'r-rb', reference: 'rb-bet' })).toEqual({ status: 200, body: ok('95.00', 9_500n) });
    expect(await rollback({ player, tx: 'rb-1', round: 'r-rb', reference: 'rb-bet' })).toEqual({ status: 200, body: ok('100.00', 10_000n, true) });
    expect(await server.deps.prisma.ledgerEntry.count()).toBe(entries);
    expect(await outboxRows(server, 'BET_ROLLED_BACK_CONFIRMED', betRow.id)).toHaveLength(1);
    await expectBooks(server, { [player]: 9_500n });
  });

  it('of an unknown bet succeeds moving nothing; the bet arriving later is 409 TRANSACTION_ROLLED_BACK', async () => {
    const player = await playerWith(10_000n);
    const entries = await server.deps.prisma.ledgerEntry.count();
    expect(await rollback({ player, tx: 'rbu-1', round: 'r-rbu', reference: 'rbu-bet' })).toEqual({ status: 200, body: ok('100.00', 10_000n) });
    expect(await server.deps.prisma.ledgerEntry.count()).toBe(entries);
    const late = await bet({ player, tx: 'rbu-bet', amount: 1_000n, round: 'r-rbu' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('TRANSACTION_ROLLED_BACK');
    expect(await server.deps.prisma.ledgerEntry.count()).toBe(entries);
    expect(await outboxRows(server, 'BET_ROLLED_BACK_CONFIRMED')).not.toContainEqual(expect.objectContaining({ envelope: expect.objectContaining({ payload: expect.objectContaining({ transaction_id: 'rbu-bet' }) }) }));
    await expectBooks(server, { [player]: 10_000n });
  });

  it('a win after the rollback is 409 TRANSACTION_ROLLED_BACK, by reference and by round', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'rbw-bet', amount: 1_000n, round: 'r-rbw' });
    await rollback({ player, tx: 'rbw-rb', round: 'r-rbw', reference: 'rbw-bet' });
    const before = await writeCounts(server);
    const named = await win({ player, tx: 'rbw-win', amount: 5_000n, round: 'r-rbw', reference: 'rbw-bet' });
    expect(named.status).toBe(409);
    expect(named.body.error).toMatchObject({ code: 'TRANSACTION_ROLLED_BACK', message: 'bet rbw-bet was rolled back' });
    const byRound = await win({ player, tx: 'rbw-win', amount: 5_000n, round: 'r-rbw' });
    expect(byRound.body.error).toMatchObject({ code: 'TRANSACTION_ROLLED_BACK', message: 'the bets of round r-rbw were rolled back' });
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 10_000n });
  });

  it('naming a win, or another player\'s bet, succeeds and moves nothing: wins are never rolled back', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'rbn-bet', amount: 1_000n, round: 'r-rbn' });
    await win({ player, tx: 'rbn-win', amount: 3_000n, round: 'r-rbn', reference: 'rbn-bet' });
    const other = await playerWith(10_000n);
    await bet({ player: other, tx: 'rbn-other-bet', amount: 1_000n, round: 'r-rbn' });
    // Refusing would only make the provider retry for ever; nothing of the win or of the other player's bet moves.
    expect(await rollback({ player, tx: 'rbn-rb', round: 'r-rbn', reference: 'rbn-win' })).toEqual({ status: 200, body: ok('120.00', 12_000n) });
    expect(await rollback({ player, tx: 'rbn-rb-2', round: 'r-rbn', reference: 'rbn-other-bet' })).toEqual({ status: 200, body: ok('120.00', 12_000n) });
    expect(await rollback({ player, tx: 'rbn-rb', round: 'r-rbn', reference: 'rbn-win' })).toEqual({ status: 200, body: ok('120.00', 12_000n, true) });
    expect(await providerRow('rbn-win')).toMatchObject({ kind: 'WIN' });
    expect(await providerRow('rbn-other-bet')).toMatchObject({ kind: 'BET', betStatus: 'OPEN' });
    expect(await entriesOf(server, 'rollback:demo:rbn-win')).toEqual([]);
    await expectBooks(server, { [player]: 12_000n, [other]: 9_000n });
  });

  it('with another brand currency than the account is refused, also when it would move nothing', async () => {
    const player = await playerWith(10_000n);
    await bet({ player, tx: 'rbc-bet', amount: 1_000n });
    const eur = { ...demo(), currency: 'EUR' };
    const before = await writeCounts(server);
    expect((await rollback({ brand: eur, player, tx: 'rbc-rb', reference: 'rbc-bet' })).status).toBe(400);
    expect((await rollback({ brand: eur, player, tx: 'rbc-rb-unknown', reference: 'rbc-never-sent' })).status).toBe(400);
    expect(await writeCounts(server)).toEqual(before);
    expect((await providerRow('rbc-bet'))!.betStatus).toBe('OPEN');
    expect(await providerRow('rbc-never-sent')).toBeNull();
    await expectBooks(server, { [player]: 9_000n });
  });
});

describe('balance', () => {
  it('answers the balance of a player, zero without an account', async () => {
    const player = await playerWith(4_321n);
    const query = (id: string) => `balance?brand_id=${demo().id}&brand_code=demo&currency=USD&player_id=${id}`;
    expect(await call(query(player))).toEqual({ status: 200, body: ok('43.21', 4_321n) });
    expect(await call(query(randomUUID()))).toEqual({ status: 200, body: ok('0.00', 0n) });
    expect((await call(`balance?brand_id=${demo().id}&brand_code=demo&currency=XXX&player_id=${player}`)).status).toBe(400);
    // An account kept in USD is not shown as EUR.
    expect((await call(`balance?brand_id=${demo().id}&brand_code=demo&currency=EUR&player_id=${player}`)).status).toBe(400);
    await expectBooks(server, { [player]: 4_321n });
  });
});
