// The RGS against the real platform (every service booted, in this process): bets debited and
// settled through the router's provider callbacks, idempotency, the daily limits, provably fair
// rounds checked by an independent verifier, and the faults: a win answered 500 or timing out,
// the platform down during a debit, a debit whose answer is lost, an RGS killed mid-debit, two RGS instances racing on each bet, an RGS
// killed between the debit and the credit, a settlement that never succeeds. After each, the
// player's balance is the start plus the RGS's rounds, and every balance equals its ledger.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseMoney } from '@rgb/contracts';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { freePort, TEST_PROVIDER_SECRET, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedPlayer, sendSignedCallback } from '../../../e2e/support/callbacks';
import { bootPlatform, type TestPlatform } from '../../../e2e/support/platform';
import { findLedgerMismatches } from '../../../subgraphs/wallet/src/reconciliation';
import { FaultProxy } from './support/fault-proxy';
import { addOperator, operatorClient, operatorInput, type OperatorClient, type RgsInstance, startRgs, testBox } from './support/rgs';
import { openStream } from './support/sse';
import { rollOf, verifyRound } from './support/verifier';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PLATFORM_KEY = 'money-test-platform-operator-key';
const FAULTY_KEY = 'money-test-faulty-operator-key-00';
const LIMITED_KEY = 'money-test-limited-operator-key-0';
/** The RGS settings of this file: quick retries, a short timeout, a lease past connect + response timeouts. */
const RGS_ENV = {
  RGS_WALLET_RESPONSE_TIMEOUT_MS: '1000',
  RGS_SETTLEMENT_LEASE_MS: '4000',
  RGS_SETTLEMENT_RETRY_MS: '100',
  RGS_SETTLEMENT_MAX_RETRY_MS: '400',
  RGS_SETTLEMENT_MAX_ATTEMPTS: '6',
  RGS_SETTLEMENT_POLL_MS: '50',
};

let platform: TestPlatform;
let prisma: PrismaClient;
let proxy: FaultProxy;
/** The platform operator (seeded), one paying through the fault proxy, and one with small daily limits. */
let direct: OperatorClient;
let faulty: OperatorClient;
let limited: OperatorClient;

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_RGS_SECRET: TEST_PROVIDER_SECRET, RGS_OPERATOR_KEY: PLATFORM_KEY, ...RGS_ENV }, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
  proxy = await new FaultProxy(platform.routerUrl).start();
  await addOperator(prisma, operatorInput('faulty', FAULTY_KEY, proxy.url));
  await addOperator(prisma, operatorInput('limited', LIMITED_KEY, platform.routerUrl));
  const rgsUrl = platform.serviceUrl('rgs');
  direct = operatorClient(rgsUrl, PLATFORM_KEY);
  faulty = operatorClient(rgsUrl, FAULTY_KEY);
  limited = operatorClient(rgsUrl, LIMITED_KEY);
});
afterAll(async () => {
  await proxy?.close();
  await prisma?.$disconnect();
  await platform?.stop();
});

interface Player {
  account: string;
  token: string;
  sessionToken: string;
  serverSeedHash: string;
}

/** A player of demo with 100.00 deposited, and a session of `client`'s operator. */
async function player(username: string, client = direct): Promise<Player> {
  const { account, token } = await fundedPlayer(platform, username);
  const launched = await client.post('/sessions/launch', { player_id: account, currency: 'USD', game_code: 'rgs-dice' });
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return { account, token, sessionToken: launched.body.session_token, serverSeedHash: launched.body.server_seed_hash };
}

const minor = (money: string) => parseMoney(money, 'USD', { allowZero: true });

async function balance(who: Player): Promise<bigint> {
  const answer = await platform.graphql('{ me { wallet { balance } } }', undefined, { token: who.token });
  return minor(answer.body.data.me.wallet.balance);
}

/** What the player won less what they staked, over the bets answered. */
const net = (bets: { win_amount: string }[], stake: string) => bets.reduce((sum, bet) => sum + minor(bet.win_amount) - minor(stake), 0n);

async function booksAgree(): Promise<void> {
  expect(await findLedgerMismatches(prisma)).toEqual([]);
}

const betRow = (id: string) => prisma.rgsBet.findUniqueOrThrow({ where: { id } });
const settlementOf = (betId: string, action: 'WIN' | 'ROLLBACK') => prisma.rgsSettlementOutbox.findFirst({ where: { betId, action } });

/** Bets `stake` on 3 until a bet wins something (a zero win is paid as any other). */
async function betUntilWin(client: OperatorClient, who: Player, stake = '1.00') {
  const bets = [];
  for (let tries = 0; tries < 80; tries++) {
    const answer = await client.bet({ session_token: who.sessionToken, amount: stake, pick: 3 });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    bets.push(answer.body);
    if (answer.body.win_amount !== '0.00') return { bets, won: answer.body };
  }
  throw new Error('no win in 80 bets');
}

describe('bets paid through the platform', () => {
  it('debits each stake and settles each round once (a zero win closes a lost one): balance = start + net, ledger = balance', async () => {
    const alice = await player('rgs_alice');
    const bets = [];
    for (let index = 0; index < 12; index++) {
      const pick = (index % 6) + 1;
      const answer = await direct.bet({ session_token: alice.sessionToken, amount: '1.00', pick });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toEqual({ bet_id: expect.any(String), round_id: expect.any(String), roll: expect.any(Number), win_amount: expect.any(String), status: 'SETTLED' });
      expect(answer.body.win_amount).toBe(answer.body.roll === pick ? '5.94' : '0.00');
      bets.push(answer.body);
    }
    expect(await balance(alice)).toBe(10_000n + net(bets, '1.00'));
    // Every round is closed at the platform, the lost ones by their zero win.
    const rounds = await prisma.gameRound.findMany({ where: { roundId: { in: bets.map((bet) => bet.round_id) } } });
    expect(rounds.map((round) => round.status)).toEqual(bets.map(() => 'CLOSED'));
    expect(await prisma.rgsSettlementOutbox.count({ where: { betId: { in: bets.map((bet) => bet.bet_id) }, completedAt: null } })).toBe(0);
    await booksAgree();
    const metrics = await (await fetch(`${platform.metricsUrl('rgs')}/metrics`)).text();
    for (const name of ['rgs_bets_placed_total', 'rgs_wallet_debit_calls_total', 'rgs_bet_settlement_seconds_count']) {
      expect(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(metrics)?.[1]), name).toBeGreaterThanOrEqual(12);
    }
  });

  it('answers a repeated Idempotency-Key with the same bet, refuses it with other parameters, and moves money once when repeats race', async () => {
    const bob = await player('rgs_bob');
    const first = await direct.bet({ session_token: bob.sessionToken, amount: '2.00', pick: 4 }, 'bob-1');
    expect(first.status).toBe(200);
    expect(await direct.bet({ session_token: bob.sessionToken, amount: '2.00', pick: 4 }, 'bob-1')).toMatchObject({ status: 200, body: first.body });
    for (const other of [{ amount: '3.00', pick: 4 }, { amount: '2.00', pick: 5 }, { amount: '2.0', pick: 4 }]) {
      const answer = await direct.bet({ session_token: bob.sessionToken, ...other }, 'bob-1');
      expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
    }
    const racing = await Promise.all(Array.from({ length: 6 }, () => direct.bet({ session_token: bob.sessionToken, amount: '2.00', pick: 1 }, 'bob-2')));
    const placed = racing.filter((answer) => answer.status === 200);
    expect(placed.length).toBeGreaterThanOrEqual(1);
    for (const answer of placed) expect(answer.body).toEqual(placed[0]!.body);
    for (const answer of racing.filter((answer) => answer.status !== 200)) expect(answer.body.error.code).toBe('BET_IN_PROGRESS');
    expect(await prisma.rgsBet.count({ where: { idempotencyKey: 'bob-2' } })).toBe(1);
    expect(await balance(bob)).toBe(10_000n + net([first.body, placed[0]!.body], '2.00'));
    await booksAgree();
  });

  it('voids a bet the platform refuses (INSUFFICIENT_FUNDS): nothing moves, its outcome is never announced, and its key answers the same again', async () => {
    const carol = await player('rgs_carol');
    const stream = await openStream(platform.serviceUrl('rgs'), PLATFORM_KEY);
    const refused = await direct.bet({ session_token: carol.sessionToken, amount: '150.00', pick: 2 }, 'carol-1');
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('INSUFFICIENT_FUNDS');
    expect(await direct.bet({ session_token: carol.sessionToken, amount: '150.00', pick: 2 }, 'carol-1')).toMatchObject({ status: 422, body: refused.body });
    const bet = await prisma.rgsBet.findFirstOrThrow({ where: { idempotencyKey: 'carol-1' } });
    expect({ status: bet.status, errorCode: bet.errorCode }).toEqual({ status: 'VOID', errorCode: 'INSUFFICIENT_FUNDS' });
    // The operator's stream tells the bet placed, its debit refused and the bet void: no round, no roll.
    const ofBet = () => stream.events().filter((event) => event.data.data.bet_id === bet.id);
    await waitFor('the bet voided on the stream', () => ofBet().some((event) => event.event === 'bet.voided'));
    stream.close();
    expect(ofBet().map((event) => event.event)).toEqual(['bet.placed', 'wallet.debit', 'bet.voided']);
    for (const event of ofBet()) expect(Object.keys(event.data.data)).not.toContain('roll');
    expect(await prisma.rgsSettlementOutbox.count({ where: { betId: bet.id } })).toBe(0);
    expect(await balance(carol)).toBe(10_000n);
  });
});

describe('provably fair rounds', () => {
  it('commits the seed before the first bet; after rotation an independent verifier recomputes every round', async () => {
    const dave = await player('rgs_dave');
    const bets = [];
    for (let index = 0; index < 6; index++) bets.push((await direct.bet({ session_token: dave.sessionToken, amount: '0.50', pick: 6 })).body);
    const before = await Promise.all(bets.map((bet) => direct.get(`/rounds/${bet.round_id}`)));
    expect(before.map((round) => round.body)).toEqual(
      bets.map((bet, nonce) => ({
        round_id: bet.round_id,
        server_seed_hash: dave.serverSeedHash,
        client_seed: expect.any(String),
        nonce,
        roll: bet.roll,
        server_seed: null,
      })),
    );
    const rotated = await direct.post('/seeds/rotate', { session_token: dave.sessionToken, client_seed: 'dave picks this seed' });
    expect(rotated.body).toMatchObject({ previous_server_seed_hash: dave.serverSeedHash, client_seed: 'dave picks this seed', nonce: 0 });
    expect(rotated.body.server_seed_hash).not.toBe(dave.serverSeedHash);
    const revealed = await Promise.all(bets.map((bet) => direct.get(`/rounds/${bet.round_id}`)));
    for (const round of revealed) {
      expect(round.body.server_seed).toBe(rotated.body.server_seed);
      expect(verifyRound(round.body)).toEqual([]);
    }
    // The next bet plays the new pair from nonce 0, its seed kept until the next rotation.
    const next = await direct.bet({ session_token: dave.sessionToken, amount: '0.50', pick: 1 });
    expect((await direct.get(`/rounds/${next.body.round_id}`)).body).toMatchObject({
      server_seed_hash: rotated.body.server_seed_hash,
      client_seed: 'dave picks this seed',
      nonce: 0,
      server_seed: null,
    });
    // Another operator's key finds none of these rounds.
    expect((await limited.get(`/rounds/${bets[0]!.round_id}`)).status).toBe(404);
  });
});

describe('daily limits', () => {
  it("refuses, and audits, a bet past the daily loss or win limit, counting only the operator's day in its time zone", async () => {
    // A zone whose day began at the start of this UTC hour: a bet just before it is yesterday
    // there, though today in UTC (so a limit counting UTC days fails this test).
    const hour = new Date().getUTCHours();
    const timezone = hour === 0 ? 'Etc/GMT' : hour <= 12 ? `Etc/GMT+${hour}` : `Etc/GMT-${24 - hour}`;
    const operator = await prisma.rgsOperator.findUniqueOrThrow({ where: { code: 'limited' } });
    await prisma.rgsOperator.update({ where: { id: operator.id }, data: { timezone } });
    await prisma.rgsOperatorLimit.update({
      where: { operatorId_currency: { operatorId: operator.id, currency: 'USD' } },
      data: { dailyLossLimitMinor: 300n, dailyWinLimitMinor: 500n },
    });
    const erin = await player('rgs_erin', limited);
    const first = await limited.bet({ session_token: erin.sessionToken, amount: '2.00', pick: 5 });
    expect(first.status).toBe(200);
    // Lost: 2.00 more would lose 4.00 > 3.00. Won (9.88 net): the 5.00 win limit is reached.
    const expected = first.body.win_amount === '0.00' ? 'DAILY_LOSS_LIMIT_REACHED' : 'DAILY_WIN_LIMIT_REACHED';
    const refused = await limited.bet({ session_token: erin.sessionToken, amount: '2.00', pick: 5 }, 'erin-refused');
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 403, code: expected });
    const audit = await limited.get('/audit');
    expect(audit.body.items[0]).toMatchObject({ action: 'bet.refused', details: { code: expected, idempotency_key: 'erin-refused', amount: '2.00' } });
    expect(await prisma.rgsBet.count({ where: { idempotencyKey: 'erin-refused' } })).toBe(0);

    const startOfLocalDay = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await prisma.rgsBet.updateMany({ where: { id: first.body.bet_id }, data: { createdAt: new Date(startOfLocalDay.getTime() - 1_000) } });
    expect((await limited.bet({ session_token: erin.sessionToken, amount: '2.00', pick: 5 })).status).toBe(200);
    await booksAgree();
  });
});

describe('faults, each against the real platform', () => {
  it('settles a win the platform answered 500 to exactly once, later, under the same transaction_id', async () => {
    const frank = await player('rgs_frank', faulty);
    proxy.fault('win', '500', { times: 2, when: (body) => body.amount !== '0.00' });
    const { bets, won } = await betUntilWin(faulty, frank);
    expect(won.status).toBe('PENDING_SETTLEMENT');
    await waitFor('the win settled', async () => (await betRow(won.bet_id)).status === 'SETTLED');
    const attempts = proxy.calls('win', `${won.bet_id}:win`);
    expect(attempts.map((call) => call.fault)).toEqual(['500', '500', 'pass']);
    expect(new Set(attempts.map((call) => call.body.request_id)).size).toBe(3);
    expect(await balance(frank)).toBe(10_000n + net(bets, '1.00'));
    expect((await settlementOf(won.bet_id, 'WIN'))?.attempts).toBe(3);
    await booksAgree();
  });

  it('settles a win that timed out but landed exactly once: the retry is a duplicate, never a second payment', async () => {
    const grace = await player('rgs_grace', faulty);
    proxy.fault('win', 'late', { when: (body) => body.amount !== '0.00' });
    const { bets, won } = await betUntilWin(faulty, grace);
    expect(won.status).toBe('PENDING_SETTLEMENT');
    await waitFor('the win settled', async () => (await betRow(won.bet_id)).status === 'SETTLED');
    expect(proxy.calls('win', `${won.bet_id}:win`).map((call) => call.fault)).toEqual(['late', 'pass']);
    const answers = await prisma.rgsEvent.findMany({ where: { type: 'wallet.win', data: { path: ['bet_id'], equals: won.bet_id } }, orderBy: { seq: 'asc' } });
    expect(answers.map((event) => (event.data as { outcome: string; duplicate?: boolean }).outcome)).toEqual(['unavailable', 'ok']);
    expect((answers[1]!.data as { duplicate: boolean }).duplicate).toBe(true);
    expect(await balance(grace)).toBe(10_000n + net(bets, '1.00'));
    await booksAgree();
  });

  it('rolls back a debit sent while the platform was down: no stake stranded, and the late debit is refused', async () => {
    const heidi = await player('rgs_heidi', faulty);
    await proxy.down();
    const answer = await faulty.bet({ session_token: heidi.sessionToken, amount: '5.00', pick: 2 }, 'heidi-1');
    await proxy.up();
    expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 503, code: 'WALLET_UNAVAILABLE' });
    const bet = await prisma.rgsBet.findFirstOrThrow({ where: { idempotencyKey: 'heidi-1' } });
    await waitFor('the rollback confirmed', async () => (await betRow(bet.id)).status === 'ROLLED_BACK');
    expect(await balance(heidi)).toBe(10_000n);
    // The stake can no longer arrive: the platform refuses that debit for good.
    const late = await sendSignedCallback(
      platform,
      'bet',
      JSON.stringify({ request_id: `late-${bet.id}`, timestamp: new Date().toISOString(), account: heidi.account, currency: 'USD', transaction_id: bet.id, round_id: bet.roundId, game_code: 'rgs-dice', amount: '5.00' }),
      TEST_PROVIDER_SECRET,
      'rgs',
    );
    expect(JSON.parse(late.text).error_code).toBe('TRANSACTION_ROLLED_BACK');
    expect(await balance(heidi)).toBe(10_000n);
    await booksAgree();
  });

  it('rolls back a debit that landed but whose answer was lost', async () => {
    const ivan = await player('rgs_ivan', faulty);
    proxy.fault('bet', 'drop');
    const answer = await faulty.bet({ session_token: ivan.sessionToken, amount: '7.00', pick: 2 }, 'ivan-1');
    expect(answer.body.error.code).toBe('WALLET_UNAVAILABLE');
    const bet = await prisma.rgsBet.findFirstOrThrow({ where: { idempotencyKey: 'ivan-1' } });
    await waitFor('the rollback confirmed', async () => (await betRow(bet.id)).status === 'ROLLED_BACK');
    const moves = await prisma.providerTransaction.findMany({ where: { providerCode: 'rgs', roundId: bet.roundId }, orderBy: { createdAt: 'asc' } });
    expect(moves.map((move) => move.kind)).toEqual(['BET', 'ROLLBACK']);
    expect(await balance(ivan)).toBe(10_000n);
    expect(await faulty.bet({ session_token: ivan.sessionToken, amount: '7.00', pick: 2 }, 'ivan-1')).toMatchObject({ status: 503, body: answer.body });
    await booksAgree();
  });

  it('resolves a bet left mid-debit by an RGS killed during its debit: another instance rolls it back once the lease ends', async () => {
    const judy = await player('rgs_judy', faulty);
    const doomed = await spawnRgs();
    try {
      proxy.fault('bet', 'hold');
      const pending = operatorClient(doomed.url, FAULTY_KEY).bet({ session_token: judy.sessionToken, amount: '4.00', pick: 2 }, 'judy-1');
      pending.catch(() => undefined);
      const bet = await waitFor('the debit at the platform', async () => {
        const row = await prisma.rgsBet.findFirst({ where: { idempotencyKey: 'judy-1' } });
        return row && proxy.calls('bet', row.id).length > 0 ? row : undefined;
      });
      await waitFor('the debit taken', async () => (await prisma.providerTransaction.count({ where: { providerCode: 'rgs', transactionId: bet.id } })) === 1);
      kill(doomed.child);
      expect((await betRow(bet.id)).status).toBe('DEBITING');
      // Until the debit is answered nobody sees the roll: not its round, not its seed.
      expect((await faulty.get(`/rounds/${bet.roundId}`)).status).toBe(404);
      expect((await faulty.post('/seeds/rotate', { session_token: judy.sessionToken })).body.error.code).toBe('BET_IN_PROGRESS');
      await waitFor('the rollback confirmed', async () => (await betRow(bet.id)).status === 'ROLLED_BACK', 15_000);
      expect((await faulty.get(`/rounds/${bet.roundId}`)).body.round_id).toBe(bet.roundId);
      expect(await balance(judy)).toBe(10_000n);
      await booksAgree();
    } finally {
      kill(doomed.child);
      proxy.clearFaults();
    }
  });

  it('pays the win of an RGS killed between the debit and the credit exactly once, after a restart', async () => {
    const ken = await player('rgs_ken', faulty);
    // The seed is the test's to open: it picks the roll, so the bet is a sure win.
    const pair = await prisma.rgsSeedPair.findFirstOrThrow({ where: { player: { externalId: ken.account, operator: { code: 'faulty' } }, revealedAt: null } });
    const pick = rollOf(testBox.open('server_seed', pair.serverSeedSealed), pair.clientSeed, pair.nextNonce);
    // Time to kill it while it waits for the win's answer (then a lease past both timeouts).
    const slow = { RGS_WALLET_RESPONSE_TIMEOUT_MS: '4000', RGS_SETTLEMENT_LEASE_MS: '6500' };
    const doomed = await spawnRgs(slow);
    let restarted: RgsInstance | null = null;
    try {
      // The win reaches the platform, which pays it; its answer never comes back.
      proxy.fault('win', 'hold', { when: (body) => body.account === ken.account });
      const pending = operatorClient(doomed.url, FAULTY_KEY).bet({ session_token: ken.sessionToken, amount: '4.00', pick }, 'ken-1');
      pending.catch(() => undefined);
      const bet = await waitFor('the win paid at the platform', async () => {
        const row = await prisma.rgsBet.findFirst({ where: { idempotencyKey: 'ken-1' } });
        return row && (await prisma.providerTransaction.count({ where: { providerCode: 'rgs', transactionId: `${row.id}:win` } })) === 1 ? row : undefined;
      });
      kill(doomed.child);
      expect(bet.winMinor).toBe(2_376n);
      expect((await betRow(bet.id)).status).toBe('DEBITED');
      expect(await settlementOf(bet.id, 'WIN')).toMatchObject({ attempts: 1, completedAt: null });
      proxy.clearFaults();

      restarted = await startRgs(platform.databaseUrl, platform.redisUrl, { ...RGS_ENV, ...slow });
      await waitFor('the win settled', async () => (await betRow(bet.id)).status === 'SETTLED', 20_000);
      const moves = await prisma.providerTransaction.findMany({ where: { providerCode: 'rgs', roundId: bet.roundId }, orderBy: { createdAt: 'asc' } });
      expect(moves.map((move) => move.kind)).toEqual(['BET', 'WIN']);
      // The killed attempt recorded nothing; the one after it found the win already paid.
      const answers = await prisma.rgsEvent.findMany({ where: { type: 'wallet.win', data: { path: ['bet_id'], equals: bet.id } } });
      expect(answers.map((event) => event.data)).toEqual([expect.objectContaining({ outcome: 'ok', duplicate: true, attempt: 2 })]);
      expect(await balance(ken)).toBe(10_000n - 400n + 2_376n);
      await booksAgree();
    } finally {
      kill(doomed.child);
      await restarted?.close();
      proxy.clearFaults();
    }
  }, 60_000);

  it('never has two instances place, debit or settle a bet twice: each key raced on both, wins failing a while, money moved once per bet', async () => {
    const second = await startRgs(platform.databaseUrl, platform.redisUrl, RGS_ENV);
    try {
      const nina = await player('rgs_nina', faulty);
      const instances = [faulty, operatorClient(second.url, FAULTY_KEY)];
      proxy.fault('win', '500', { times: 12, when: (body) => body.account === nina.account });
      const keys = Array.from({ length: 10 }, (_, index) => `nina-${index}`);
      const answers = await Promise.all(
        keys.map((key) => Promise.all(instances.map((client) => client.bet({ session_token: nina.sessionToken, amount: '1.00', pick: 3 }, key)))),
      );
      for (const twins of answers) {
        // One bet per key whichever instance took it: the other answers it too, or says it is still being placed.
        const placed = twins.filter((answer) => answer.status === 200);
        expect(placed.length).toBeGreaterThan(0);
        expect(new Set(placed.map((answer) => answer.body.bet_id)).size).toBe(1);
        for (const answer of twins.filter((twin) => twin.status !== 200)) expect([answer.status, answer.body.error.code]).toEqual([409, 'BET_IN_PROGRESS']);
      }
      const bets = await prisma.rgsBet.findMany({ where: { idempotencyKey: { in: keys } } });
      expect(bets).toHaveLength(keys.length);
      await waitFor('every bet settled', async () => (await prisma.rgsBet.count({ where: { id: { in: bets.map((bet) => bet.id) }, status: 'SETTLED' } })) === bets.length, 20_000);

      for (const bet of bets) {
        const moves = await prisma.providerTransaction.findMany({ where: { providerCode: 'rgs', roundId: bet.roundId }, orderBy: { createdAt: 'asc' } });
        expect(moves.map((move) => move.kind)).toEqual(['BET', 'WIN']);
        const sent = [...proxy.calls('bet', bet.id), ...proxy.calls('win', `${bet.id}:win`)];
        expect(sent.filter((call) => call.alongside > 0)).toEqual([]);
      }
      expect(proxy.seen.filter((call) => call.body.account === nina.account && call.action === 'win' && call.fault === '500')).toHaveLength(12);
      const staked = BigInt(bets.length) * 100n;
      expect(await balance(nina)).toBe(10_000n - staked + bets.reduce((sum, bet) => sum + bet.winMinor, 0n));
      await booksAgree();
    } finally {
      proxy.clearFaults();
      await second.close();
    }
  }, 60_000);

  it("numbers every operator's events 1, 2, 3, ... with no gap, in commit order", async () => {
    const events = await prisma.rgsEvent.groupBy({ by: ['operatorId'], _count: { _all: true }, _max: { seq: true }, _min: { seq: true } });
    expect(events.length).toBe(3);
    for (const operator of events) expect({ min: operator._min.seq, max: operator._max.seq }).toEqual({ min: 1n, max: BigInt(operator._count._all) });
    const types = new Set((await prisma.rgsEvent.findMany({ select: { type: true } })).map((event) => event.type));
    for (const type of ['session.launched', 'bet.placed', 'wallet.debit', 'round.completed', 'wallet.win', 'bet.settled', 'bet.voided', 'bet.rolling_back', 'wallet.rollback', 'bet.rolled_back', 'seeds.rotated']) {
      expect(types, type).toContain(type);
    }
  });

  // Last: it leaves the RGS unhealthy until a person resolves the settlement.
  it('fails a settlement loudly after the attempt limit: health (not readiness), metric and audit', async () => {
    const kim = await player('rgs_kim', faulty);
    proxy.fault('win', '500', { times: Number.POSITIVE_INFINITY });
    const answer = await faulty.bet({ session_token: kim.sessionToken, amount: '1.00', pick: 1 });
    expect(answer.body.status).toBe('PENDING_SETTLEMENT');
    await waitFor('the settlement failed', async () => Boolean((await settlementOf(answer.body.bet_id, 'WIN'))?.failedAt), 15_000);
    expect((await settlementOf(answer.body.bet_id, 'WIN'))?.attempts).toBe(6);
    const health = await fetch(`${platform.serviceUrl('rgs')}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { reason: string }).reason).toMatch(/settlements: 1 settlement\(s\) failed after 6 attempts/);
    // Every replica shares the failure: the RGS stays ready and alive, in traffic and not restarted.
    expect((await fetch(`${platform.serviceUrl('rgs')}/ready`)).status).toBe(200);
    expect((await fetch(`${platform.serviceUrl('rgs')}/live`)).status).toBe(200);
    const metrics = await (await fetch(`${platform.metricsUrl('rgs')}/metrics`)).text();
    expect(metrics).toMatch(/^rgs_failed_settlements(?:\{[^}]*\})? 1$/m);
    expect(metrics).toMatch(/^rgs_settlements_failed_total\{[^}]*action="win"[^}]*\} 1$/m);
    const audit = await faulty.get('/audit');
    expect(audit.body.items[0]).toMatchObject({ action: 'settlement.failed', target_id: answer.body.bet_id, details: { attempts: 6, action: 'WIN' } });
    proxy.clearFaults();
  });
});

interface SpawnedRgs {
  child: ChildProcess;
  url: string;
}

/** Another RGS on the platform's database, in a process of its own (so a test can kill it), once healthy. */
async function spawnRgs(env: Record<string, string> = {}): Promise<SpawnedRgs> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/rgs/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...RGS_ENV,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: platform.databaseUrl,
      REDIS_URL: platform.redisUrl,
      PORT: String(port),
      METRICS_PORT: String(await freePort()),
      ...env,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the spawned RGS healthy', async () => (await fetch(`${url}/health`).catch(() => null))?.ok, 30_000);
  } catch (error) {
    kill(child);
    throw error;
  }
  return { child, url };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
