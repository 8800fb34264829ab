import { createHmac, randomUUID } from 'node:crypto';
import { hashPassword } from '@rgb/auth';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { fundedPlayer as fundedPlayerOn, sendSignedCallback } from './support/callbacks';
import { bootPlatform, send, type TestPlatform } from './support/platform';

/** Provider callbacks through the router, signed as the demo provider signs them (docs/api/providers.md). */
let platform: TestPlatform;
let prisma: PrismaClient;
const SECRET = 'e2e-demo-provider-secret';

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});

interface Answer {
  status: number;
  body: { status: string; balance?: string; currency?: string; duplicate?: boolean; error_code?: string; message?: string };
}

async function callback(action: string, body: Record<string, unknown>, { secret = SECRET, provider = 'demo', raw }: { secret?: string; provider?: string; raw?: string | Buffer } = {}): Promise<Answer> {
  const text = raw ?? JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', ...body });
  const response = await sendSignedCallback(platform, action, text, secret, provider);
  return { status: response.status, body: JSON.parse(response.text) };
}

/** The seeded `admin` (access to every brand), signed in on demo. */
const staffToken = async () =>
  (await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD })).body.data.staffLogin.accessToken as string;

/** A staff member with every permission but on the demo brand only, signed in on demo. */
async function demoOnlyStaffToken(username: string): Promise<string> {
  const demo = await prisma.brand.findUniqueOrThrow({ where: { code: 'demo' } });
  await prisma.staff.create({
    data: {
      username,
      passwordHash: await hashPassword('demo-only-password'),
      brands: { create: { brandId: demo.id } },
      roles: { create: { role: { connect: { name: 'superadmin' } } } },
    },
  });
  const login = await platform.graphql(`mutation ($u: String!) { staffLogin(input: { username: $u, password: "demo-only-password" }) { accessToken } }`, { u: username });
  return login.body.data.staffLogin.accessToken as string;
}

const fundedPlayer = (username: string, deposit?: string) => fundedPlayerOn(platform, username, deposit);

const round = (id: string) => ({ round_id: id, game_code: 'demo-slot' });

/** The text of a fresh bet of demo_cb_sig up to its amount, which `rest` writes as it likes (with the closing brace left out). */
const signedBet = (rest: string) =>
  `{"request_id":"${randomUUID()}","timestamp":"${new Date().toISOString()}","account":"demo_cb_sig","currency":"USD","transaction_id":"${randomUUID()}","round_id":"x","game_code":"demo-slot",${rest}}`;

async function booksAgree(): Promise<void> {
  expect(await findLedgerMismatches(prisma)).toEqual([]);
}

async function until(what: string, condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('seamless wallet through the router', () => {
  it('bets and wins, and the balance shows in me.wallet', async () => {
    const { account, token } = await fundedPlayer('cb_happy');
    expect(await callback('balance', { account })).toEqual({ status: 200, body: { status: 'OK', balance: '100.00', currency: 'USD', duplicate: false } });
    const bet = await callback('bet', { account, transaction_id: 'h-bet-1', amount: '10.00', ...round('h-r1') });
    expect(bet.body).toEqual({ status: 'OK', balance: '90.00', currency: 'USD', duplicate: false });
    const win = await callback('win', { account, transaction_id: 'h-win-1', amount: '25.50', reference_transaction_id: 'h-bet-1', round_closed: true, ...round('h-r1') });
    expect(win.body).toMatchObject({ status: 'OK', balance: '115.50' });
    const me = await platform.graphql(`{ me { wallet { balance } gameHistory { edges { node { roundId status totalBet totalWin bets { kind amount } } } } } }`, undefined, { token });
    expect(me.body.data.me.wallet.balance).toBe('115.50');
    expect(me.body.data.me.gameHistory.edges[0].node).toEqual({
      roundId: 'h-r1',
      status: 'CLOSED',
      totalBet: '10.00',
      totalWin: '25.50',
      bets: [{ kind: 'BET', amount: '10.00' }, { kind: 'WIN', amount: '25.50' }],
    });
    await booksAgree();
  });

  it('answers an exact repeat of a transaction with the first result, moving nothing', async () => {
    const { account } = await fundedPlayer('cb_dup');
    const first = await callback('bet', { account, transaction_id: 'd-1', amount: '5.00', ...round('d-r1') });
    await callback('bet', { account, transaction_id: 'd-2', amount: '1.00', ...round('d-r1') });
    const repeat = await callback('bet', { account, transaction_id: 'd-1', amount: '5.00', ...round('d-r1') });
    expect(first.body).toMatchObject({ status: 'OK', balance: '95.00', duplicate: false });
    expect(repeat.body).toMatchObject({ status: 'OK', balance: '95.00', duplicate: true });
    expect((await callback('balance', { account })).body.balance).toBe('94.00');
    const other = await callback('bet', { account, transaction_id: 'd-1', amount: '6.00', ...round('d-r1') });
    expect(other.body).toMatchObject({ status: 'ERROR', error_code: 'DUPLICATE_TRANSACTION', balance: '94.00' });
    await booksAgree();
  });

  it('answers a repeated request_id with the stored response', async () => {
    const { account } = await fundedPlayer('cb_replay');
    const raw = JSON.stringify({ request_id: 'replay-1', timestamp: new Date().toISOString(), currency: 'USD', account, transaction_id: 'rp-1', amount: '3.00', ...round('rp-r1') });
    const first = await callback('bet', {}, { raw });
    await callback('bet', { account, transaction_id: 'rp-2', amount: '1.00', ...round('rp-r1') });
    const again = await callback('bet', {}, { raw });
    expect(again).toEqual(first);
    expect((await callback('balance', { account })).body.balance).toBe('96.00');
    // Twins in flight together (a provider retrying before the first answer): one answer for all, one debit.
    const twin = JSON.stringify({ request_id: 'replay-2', timestamp: new Date().toISOString(), currency: 'USD', account, transaction_id: 'rp-3', amount: '2.00', ...round('rp-r1') });
    const twins = await Promise.all(Array.from({ length: 5 }, () => callback('bet', {}, { raw: twin })));
    for (const answer of twins) expect(answer).toEqual({ status: 200, body: { status: 'OK', balance: '94.00', currency: 'USD', duplicate: false } });
    expect((await callback('balance', { account })).body.balance).toBe('94.00');
    await booksAgree();
  });

  it('refuses a request_id reused for another request with 400, moving nothing, also while the first is in flight', async () => {
    const { account } = await fundedPlayer('cb_reuse');
    const bet = (requestId: string, transactionId: string, amount: string) =>
      JSON.stringify({ request_id: requestId, timestamp: new Date().toISOString(), currency: 'USD', account, transaction_id: transactionId, amount, ...round('ru-r1') });
    const reused = { status: 400, body: { status: 'ERROR', error_code: 'INVALID_REQUEST', message: 'request_id reuse-1 was already used for another request' } };
    const first = bet('reuse-1', 'ru-1', '3.00');
    expect(await callback('bet', {}, { raw: first })).toEqual({ status: 200, body: { status: 'OK', balance: '97.00', currency: 'USD', duplicate: false } });
    expect(await callback('bet', {}, { raw: bet('reuse-1', 'ru-2', '5.00') })).toEqual(reused);
    // The same bytes are another request under another action, and a byte changed is another body.
    expect(await callback('win', {}, { raw: first })).toEqual(reused);
    expect(await callback('bet', {}, { raw: `${first} ` })).toEqual(reused);
    expect(await callback('bet', {}, { raw: first })).toEqual({ status: 200, body: { status: 'OK', balance: '97.00', currency: 'USD', duplicate: false } });
    expect((await callback('balance', { account })).body.balance).toBe('97.00');

    // In flight together: whichever body reaches the game first is the request; its twins share
    // its answer and every copy of the other body is refused.
    const bodies = [
      { raw: bet('reuse-2', 'ru-3', '2.00'), balance: '95.00' },
      { raw: bet('reuse-2', 'ru-4', '7.00'), balance: '90.00' },
    ];
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => callback('bet', {}, { raw: bodies[i % 2]!.raw })));
    const winner = answers.findIndex((answer) => answer.status === 200) % 2;
    expect(winner).toBeGreaterThanOrEqual(0);
    answers.forEach((answer, i) => {
      if (i % 2 === winner) expect(answer).toEqual({ status: 200, body: { status: 'OK', balance: bodies[winner]!.balance, currency: 'USD', duplicate: false } });
      else expect(answer).toMatchObject({ status: 400, body: { error_code: 'INVALID_REQUEST', message: 'request_id reuse-2 was already used for another request' } });
    });
    expect((await callback('balance', { account })).body.balance).toBe(bodies[winner]!.balance);
    // A retry of the stored request keeps its answer while a reuse of its id is in flight: the
    // reuse's lookup is held on a lock of the test's until the retry has arrived (a reuse in flight
    // made a retry look like a reuse).
    const retried = bodies[winner]!;
    let reuseAnswer: Promise<Awaited<ReturnType<typeof callback>>> | undefined;
    let retryAnswer: Promise<Awaited<ReturnType<typeof callback>>> | undefined;
    await prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe('LOCK TABLE game.callback_log IN ACCESS EXCLUSIVE MODE');
        reuseAnswer = callback('bet', {}, { raw: bodies[1 - winner]!.raw });
        await until('the reuse waiting on the lock', async () => {
          const [row] = await prisma.$queryRawUnsafe<{ waiting: bigint }[]>(
            "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return row!.waiting > 0n;
        });
        retryAnswer = callback('bet', {}, { raw: retried.raw });
        await Promise.race([retryAnswer, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      },
      { timeout: 30_000 },
    );
    expect(await retryAnswer).toEqual({ status: 200, body: { status: 'OK', balance: retried.balance, currency: 'USD', duplicate: false } });
    expect(await reuseAnswer).toMatchObject({ status: 400, body: { error_code: 'INVALID_REQUEST', message: 'request_id reuse-2 was already used for another request' } });
    expect(await prisma.ledgerEntry.count({ where: { commandKey: { startsWith: 'bet:demo:ru-' } } })).toBe(2);
    await booksAgree();
  });

  it('compares a request_id stored before bodies were hashed by the body it stored', async () => {
    const { account } = await fundedPlayer('cb_unhashed');
    const provider = await prisma.provider.findUniqueOrThrow({ where: { code: 'demo' } });
    const body = { request_id: 'unhashed-1', timestamp: new Date().toISOString(), currency: 'USD', account, transaction_id: 'uh-1', amount: '4.00', ...round('uh-r1') };
    const stored = { status: 'OK', balance: '96.00', currency: 'USD', duplicate: false };
    await prisma.callbackLog.create({ data: { providerId: provider.id, requestId: 'unhashed-1', action: 'bet', requestBody: body, responseStatus: 200, responseBody: stored } });
    // The same fields in another order and spacing are the stored request; other fields are not.
    const respelled = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 1);
    expect(await callback('bet', {}, { raw: respelled })).toEqual({ status: 200, body: stored });
    expect(await callback('bet', {}, { raw: JSON.stringify({ ...body, amount: '40.00' }) })).toMatchObject({ status: 400, body: { error_code: 'INVALID_REQUEST' } });
    expect(await callback('win', {}, { raw: JSON.stringify(body) })).toMatchObject({ status: 400, body: { error_code: 'INVALID_REQUEST' } });
    expect((await callback('balance', { account })).body.balance).toBe('100.00');
    await booksAgree();
  });

  it('rolls back a bet once; a rollback of an unknown bet refuses that bet later; a win after rollback is refused', async () => {
    const { account } = await fundedPlayer('cb_rollback');
    await callback('bet', { account, transaction_id: 'rb-1', amount: '20.00', ...round('rb-r1') });
    expect((await callback('rollback', { account, transaction_id: 'rb-x1', reference_transaction_id: 'rb-1', ...round('rb-r1') })).body).toMatchObject({ status: 'OK', balance: '100.00' });
    expect((await callback('rollback', { account, transaction_id: 'rb-x2', reference_transaction_id: 'rb-1', ...round('rb-r1') })).body).toMatchObject({ status: 'OK', balance: '100.00' });
    const winAfter = await callback('win', { account, transaction_id: 'rb-w1', amount: '5.00', reference_transaction_id: 'rb-1', ...round('rb-r1') });
    expect(winAfter.body).toMatchObject({ status: 'ERROR', error_code: 'TRANSACTION_ROLLED_BACK', balance: '100.00' });
    // Only bets are rolled back: a rollback naming a win succeeds, moving nothing, so the provider stops retrying.
    await callback('bet', { account, transaction_id: 'rb-3', amount: '4.00', ...round('rb-r3') });
    await callback('win', { account, transaction_id: 'rb-w3', amount: '6.00', reference_transaction_id: 'rb-3', ...round('rb-r3') });
    expect((await callback('rollback', { account, transaction_id: 'rb-x4', reference_transaction_id: 'rb-w3', ...round('rb-r3') })).body).toMatchObject({ status: 'OK', balance: '102.00', duplicate: false });

    const early = await callback('rollback', { account, transaction_id: 'rb-x3', reference_transaction_id: 'rb-late', ...round('rb-r2') });
    expect(early.body).toMatchObject({ status: 'OK', balance: '102.00', duplicate: false });
    const late = await callback('bet', { account, transaction_id: 'rb-late', amount: '7.00', ...round('rb-r2') });
    expect(late.body).toMatchObject({ status: 'ERROR', error_code: 'TRANSACTION_ROLLED_BACK' });
    expect((await callback('balance', { account })).body.balance).toBe('102.00');
    await booksAgree();
  });

  it('refuses a win without a bet, a bet beyond the balance (with the balance), and a wrong currency', async () => {
    const { account } = await fundedPlayer('cb_refusals', '10.00');
    expect((await callback('win', { account, transaction_id: 'nb-w1', amount: '5.00', reference_transaction_id: 'nope', ...round('nb-r1') })).body).toMatchObject({
      status: 'ERROR',
      error_code: 'TRANSACTION_NOT_FOUND',
      balance: '10.00',
    });
    expect((await callback('bet', { account, transaction_id: 'nb-b1', amount: '10.01', ...round('nb-r2') })).body).toMatchObject({
      status: 'ERROR',
      error_code: 'INSUFFICIENT_FUNDS',
      balance: '10.00',
    });
    expect((await callback('bet', { account, currency: 'KRW', transaction_id: 'nb-b2', amount: '1', ...round('nb-r3') })).body).toMatchObject({
      status: 'ERROR',
      error_code: 'CURRENCY_MISMATCH',
    });
    await booksAgree();
  });

  it('refuses a blocked player\'s new bet, answers a retry of one taken before the block, and pays their win and rollback', async () => {
    const { account } = await fundedPlayer('cb_blocked');
    await callback('bet', { account, transaction_id: 'bl-1', amount: '10.00', ...round('bl-r1') });
    await callback('bet', { account, transaction_id: 'bl-2', amount: '5.00', ...round('bl-r2') });
    await prisma.player.updateMany({ where: { username: 'cb_blocked' }, data: { status: 'BLOCKED' } });
    await new Promise((resolve) => setTimeout(resolve, 5_500)); // the game domain caches a player's status for 5 s
    expect((await callback('bet', { account, transaction_id: 'bl-3', amount: '1.00', ...round('bl-r3') })).body).toMatchObject({ status: 'ERROR', error_code: 'ACCOUNT_BLOCKED', balance: '85.00' });
    // The provider never saw the answer to bl-2 and retries it: the stake was taken, so it is a repeat.
    expect((await callback('bet', { account, transaction_id: 'bl-2', amount: '5.00', ...round('bl-r2') })).body).toMatchObject({ status: 'OK', balance: '85.00', duplicate: true });
    expect((await callback('win', { account, transaction_id: 'bl-w', amount: '2.00', reference_transaction_id: 'bl-1', ...round('bl-r1') })).body).toMatchObject({ status: 'OK', balance: '87.00' });
    expect((await callback('rollback', { account, transaction_id: 'bl-rb', reference_transaction_id: 'bl-2', ...round('bl-r2') })).body).toMatchObject({ status: 'OK', balance: '92.00' });
    await booksAgree();
  });
});

describe('first callbacks of a new provider account, all at once', () => {
  const launch = (token: string) => platform.graphql(`mutation { launchGame(gameCode: "demo-slot") { url } }`, undefined, { token });

  it('answers every one (none 500), and the books agree', async () => {
    const { account } = await fundedPlayer('cb_rush');
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => callback('bet', { account, transaction_id: `rush-${i}`, amount: '1.00', ...round('rush-r1') })),
      ...Array.from({ length: 10 }, () => callback('balance', { account })),
    ]);
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { status: 'OK', currency: 'USD' } });
    expect((await callback('balance', { account })).body.balance).toBe('70.00');
    const player = await prisma.player.findFirstOrThrow({ where: { username: 'cb_rush' } });
    expect(await prisma.providerAccount.findMany({ where: { playerId: player.id }, select: { accountName: true } })).toEqual([{ accountName: account }]);
    expect(await prisma.gameBet.count({ where: { round: { playerId: player.id, roundId: 'rush-r1' } } })).toBe(30);
    await booksAgree();
  });

  it('answers launches and callbacks racing for one account', async () => {
    const { account, token } = await fundedPlayer('cb_rush_launch');
    const [launches, bets] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => launch(token))),
      Promise.all(Array.from({ length: 20 }, (_, i) => callback('bet', { account, transaction_id: `rush-l-${i}`, amount: '2.00', ...round('rush-l-r1') }))),
    ]);
    for (const answer of launches) expect(answer.body).toMatchObject({ data: { launchGame: { url: expect.any(String) } } });
    for (const answer of bets) expect(answer).toMatchObject({ status: 200, body: { status: 'OK' } });
    expect((await callback('balance', { account })).body.balance).toBe('60.00');
    const player = await prisma.player.findFirstOrThrow({ where: { username: 'cb_rush_launch' } });
    expect(await prisma.providerAccount.count({ where: { playerId: player.id } })).toBe(1);
    await booksAgree();
  });
});

describe('games and launch', () => {
  it('lists the seeded games and launches one with a signed session for the player\'s provider account', async () => {
    const games = await platform.graphql(`{ games(first: 10, providerCode: "demo") { totalCount edges { node { code category provider { code } } } } }`);
    expect(games.body.data.games.edges.map((e: { node: { code: string } }) => e.node.code).sort()).toEqual(['demo-live', 'demo-slot']);
    const { accessToken } = await platform.register('cb_launch');
    const launch = await platform.graphql(`mutation { launchGame(gameCode: "demo-slot") { url sessionToken } }`, undefined, { token: accessToken });
    const { url, sessionToken } = launch.body.data.launchGame;
    expect(new URL(url).searchParams.get('session')).toBe(sessionToken);
    const claims = JSON.parse(Buffer.from(sessionToken.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ account: 'demo_cb_launch', game: 'demo-slot', currency: 'USD', aud: 'provider:demo' });
    const unknown = await platform.graphql(`mutation { launchGame(gameCode: "nope") { url } }`, undefined, { token: accessToken });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const anonymous = await platform.graphql(`mutation { launchGame(gameCode: "demo-slot") { url } }`);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('refused callbacks', () => {
  it('refuses a missing or wrong signature with 401, a tampered body with a valid-looking signature too', async () => {
    const { account } = await fundedPlayer('cb_sig');
    expect((await callback('balance', { account }, { secret: 'not-the-secret' })).status).toBe(401);
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', account, transaction_id: 's-1', amount: '1.00', ...round('s-r1') });
    const signature = createHmac('sha256', SECRET).update(raw).digest('hex');
    const tampered = raw.replace('"1.00"', '"9.00"');
    const response = await send(`${platform.routerUrl}/callbacks/demo/bet`, 'POST', { 'content-type': 'application/json', 'x-signature': signature }, tampered);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text)).toMatchObject({ status: 'ERROR', error_code: 'INVALID_SIGNATURE' });
    const unsigned = await send(`${platform.routerUrl}/callbacks/demo/balance`, 'POST', { 'content-type': 'application/json' }, raw);
    expect(unsigned.status).toBe(401);
    expect((await callback('balance', { account })).body.balance).toBe('100.00');
  });

  it('refuses an unknown provider with 404 and an unknown player with PLAYER_NOT_FOUND', async () => {
    expect((await callback('balance', { account: 'demo_someone' }, { provider: 'nobody' })).status).toBe(404);
    expect((await callback('balance', { account: 'demo_nobody_here' })).body).toMatchObject({ status: 'ERROR', error_code: 'PLAYER_NOT_FOUND' });
    expect((await callback('balance', { account: 'nobrand_x' })).body).toMatchObject({ error_code: 'PLAYER_NOT_FOUND' });
    expect((await callback('balance', { account: 'acme_cb_sig' })).body).toMatchObject({ error_code: 'PLAYER_NOT_FOUND' });
  });

  it.each<[string, { raw?: string | Buffer; body?: Record<string, unknown> }]>([
    ['malformed JSON', { raw: '{"request_id":' }],
    ['a missing field', { body: { transaction_id: 'x', ...round('x') } }],
    ['a negative amount', { body: { transaction_id: 'x', amount: '-1.00', ...round('x') } }],
    ['too many decimals', { body: { transaction_id: 'x', amount: '1.005', ...round('x') } }],
    ['not a number', { body: { transaction_id: 'x', amount: 'ten', ...round('x') } }],
    ['a stale timestamp', { body: { transaction_id: 'x', amount: '1.00', timestamp: new Date(Date.now() - 301_000).toISOString(), ...round('x') } }],
    // A parser keeping the first twin reads 1.00, JSON.parse keeps the last: a body must mean one thing.
    ['an amount given twice', { raw: signedBet('"amount":"1.00","amount":"50.00"') }],
    ['an amount given twice, once spelled with an escape', { raw: signedBet('"amount":"50.00","\\u0061mount":"1.00"') }],
    ['a name given twice in a nested object', { raw: signedBet('"amount":"1.00","meta":{"a":[{"b":1,"b":2}]}') }],
    ['trailing bytes after the JSON', { raw: `${signedBet('"amount":"1.00"')}{"amount":"50.00"}` }],
    ['bytes that are not UTF-8', { raw: Buffer.concat(signedBet('"amount":"1.00","note":"@"').split('@').flatMap((part, i) => [...(i ? [Buffer.from([0xc3, 0x28])] : []), Buffer.from(part)])) }],
    ['an escaped NUL in a string', { raw: signedBet('"amount":"1.00","note":"a\\u0000b"') }],
  ])('refuses %s with 400 INVALID_REQUEST and moves nothing', async (_name, { raw, body }) => {
    const account = 'demo_cb_sig';
    const answer = await callback('bet', { account, ...body }, raw ? { raw } : {});
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 'ERROR', error_code: 'INVALID_REQUEST' });
    expect((await callback('balance', { account })).body.balance).toBe('100.00');
  });

  it('refuses an oversized body in the callback format, past the game\'s limit and past the router\'s', async () => {
    for (const size of [20 * 1024, 100 * 1024]) {
      const answer = await send(`${platform.routerUrl}/callbacks/demo/bet`, 'POST', { 'content-type': 'application/json', 'x-signature': 'x' }, JSON.stringify({ pad: 'x'.repeat(size) }));
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text)).toMatchObject({ status: 'ERROR', error_code: 'INVALID_REQUEST' });
    }
  });

  it('is not reachable on the game subgraph without the router', async () => {
    const onApi = await send(`${platform.serviceUrl('game')}/callbacks/demo/balance`, 'POST', { 'content-type': 'application/json' }, '{}');
    expect(onApi.status).toBe(404);
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', account: 'demo_cb_sig' });
    const onListener = await send(`http://127.0.0.1:${platform.ports['game.callback']}/callbacks/demo/balance`, 'POST', {
      'content-type': 'application/json',
      'x-signature': createHmac('sha256', SECRET).update(raw).digest('hex'),
    }, raw);
    expect(onListener.status).toBe(401);
  });
});

describe('integration utilities (staff, loopback)', () => {
  const listener = () => `http://127.0.0.1:${platform.ports['game.callback']}`;
  it('shows the last callbacks of a provider with their answers, to staff only', async () => {
    const { account } = await fundedPlayer('cb_integration');
    await callback('balance', { account });
    const token = await staffToken();
    const answer = await send(`${listener()}/integration/providers/demo/callbacks?limit=1`, 'GET', { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    const { callbacks } = JSON.parse(answer.text);
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]).toMatchObject({ action: 'balance', request: { account }, response_status: 200, response: { status: 'OK', balance: '100.00' } });
    expect((await send(`${listener()}/integration/providers/demo/callbacks`, 'GET', {})).status).toBe(401);
    const player = await platform.register('cb_integration_p');
    expect((await send(`${listener()}/integration/providers/demo/callbacks`, 'GET', { authorization: `Bearer ${player.accessToken}` })).status).toBe(401);
    // A provider serves every brand: staff of one brand may not read its callbacks, nor may an ended session.
    const demoOnly = await demoOnlyStaffToken('integration_demo_only');
    expect((await send(`${listener()}/integration/providers/demo/callbacks`, 'GET', { authorization: `Bearer ${demoOnly}` })).status).toBe(403);
    await platform.graphql('mutation { staffLogout }', undefined, { token });
    expect((await send(`${listener()}/integration/providers/demo/callbacks`, 'GET', { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('tells whether a secret is the one the platform holds, with a signed test call', async () => {
    const token = await staffToken();
    const check = async (secret: string) =>
      JSON.parse((await send(`${listener()}/integration/providers/demo/test-call`, 'POST', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ secret, account: 'demo_cb_integration', currency: 'USD' }))).text);
    expect(await check(SECRET)).toMatchObject({ signature_accepted: true, response: { status: 'OK', balance: '100.00' } });
    expect(await check('a-wrong-secret')).toMatchObject({ signature_accepted: false, response: { error_code: 'INVALID_SIGNATURE' } });
  });
});

describe('staff on games', () => {
  it('lists providers (never their secrets) to staff only', async () => {
    const token = await staffToken();
    const providers = await platform.graphql(`{ providers { code enabled } }`, undefined, { token });
    expect(providers.body.data.providers).toEqual([{ code: 'demo', enabled: true }, { code: 'rgs', enabled: true }]);
    const secretField = await platform.graphql(`{ providers { secret } }`, undefined, { token });
    expect(secretField.status).toBe(400);
    const player = await platform.register('cb_staff_p');
    expect((await platform.graphql(`{ providers { code } }`, undefined, { token: player.accessToken })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('finds rounds by player, game and round id', async () => {
    const { account } = await fundedPlayer('cb_rounds');
    await callback('bet', { account, transaction_id: 'gr-1', amount: '1.00', ...round('gr-r1') });
    await callback('bet', { account, transaction_id: 'gr-2', amount: '2.00', round_id: 'gr-r2', game_code: 'demo-live' });
    const token = await staffToken();
    const me = await platform.graphql(`{ me { id } }`, undefined, { token: (await platform.graphql(`mutation { login(input: { username: "cb_rounds", password: "password-123" }) { accessToken } }`)).body.data.login.accessToken });
    const rounds = (filter: string) => platform.graphql(`{ gameRounds(${filter}) { totalCount edges { node { roundId totalBet game { code } player { username } } } } }`, undefined, { token });
    const byPlayer = await rounds(`playerId: "${me.body.data.me.id}"`);
    expect(byPlayer.body.data.gameRounds.totalCount).toBe(2);
    expect((await rounds(`playerId: "${me.body.data.me.id}", gameCode: "demo-live"`)).body.data.gameRounds.edges).toEqual([
      { node: { roundId: 'gr-r2', totalBet: '2.00', game: { code: 'demo-live' }, player: { username: 'cb_rounds' } } },
    ]);
    expect((await rounds(`roundId: "gr-r1"`)).body.data.gameRounds.edges.map((e: { node: { totalBet: string } }) => e.node.totalBet)).toEqual(['1.00']);
  });

  it('lets only staff with access to every brand switch shared games and providers', async () => {
    const token = await demoOnlyStaffToken('catalogue_demo_only');
    for (const mutation of ['setGameEnabled(gameCode: "demo-live", enabled: false)', 'setProviderEnabled(providerCode: "demo", enabled: false)']) {
      const refused = await platform.graphql(`mutation { ${mutation} { enabled } }`, undefined, { token });
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await prisma.game.findUniqueOrThrow({ where: { code: 'demo-live' } })).toMatchObject({ enabled: true });
    expect(await prisma.provider.findUniqueOrThrow({ where: { code: 'demo' } })).toMatchObject({ enabled: true });
  });

  it('disables a game (gone from the public list, no launch) and a provider (no new bets; what was staked still settles)', async () => {
    const token = await staffToken();
    const player = await fundedPlayer('cb_disable');
    const publicCodes = async () => (await platform.graphql(`{ games(first: 50) { edges { node { code } } } }`)).body.data.games.edges.map((e: { node: { code: string } }) => e.node.code);
    await platform.graphql(`mutation { setGameEnabled(gameCode: "demo-live", enabled: false) { enabled } }`, undefined, { token });
    try {
      expect(await publicCodes()).not.toContain('demo-live');
      const launch = await platform.graphql(`mutation { launchGame(gameCode: "demo-live") { url } }`, undefined, { token: player.token });
      expect(launch.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await platform.graphql(`mutation { setGameEnabled(gameCode: "demo-live", enabled: true) { enabled } }`, undefined, { token });
    }
    await callback('bet', { account: player.account, transaction_id: 'dis-1', amount: '10.00', ...round('dis-r1') });
    await callback('bet', { account: player.account, transaction_id: 'dis-2', amount: '5.00', ...round('dis-r2') });
    await platform.graphql(`mutation { setProviderEnabled(providerCode: "demo", enabled: false) { enabled } }`, undefined, { token });
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_500)); // the callback path caches providers for 5 s
      const refused = await callback('bet', { account: player.account, transaction_id: 'dis-3', amount: '1.00', ...round('dis-r3') });
      expect(refused).toEqual({ status: 404, body: { status: 'ERROR', error_code: 'UNKNOWN_PROVIDER', message: 'provider demo takes no new bets', balance: '85.00' } });
      expect((await callback('bet', { account: player.account, transaction_id: 'dis-1', amount: '10.00', ...round('dis-r1') })).body).toMatchObject({ status: 'OK', duplicate: true });
      expect((await callback('win', { account: player.account, transaction_id: 'dis-w', amount: '4.00', reference_transaction_id: 'dis-1', ...round('dis-r1') })).body).toMatchObject({ status: 'OK', balance: '89.00' });
      expect((await callback('rollback', { account: player.account, transaction_id: 'dis-rb', reference_transaction_id: 'dis-2', ...round('dis-r2') })).body).toMatchObject({ status: 'OK', balance: '94.00' });
      expect((await callback('balance', { account: player.account })).body).toMatchObject({ status: 'OK', balance: '94.00' });
      expect((await callback('balance', { account: player.account }, { provider: 'nobody' })).status).toBe(404);
    } finally {
      await platform.graphql(`mutation { setProviderEnabled(providerCode: "demo", enabled: true) { enabled } }`, undefined, { token });
      await new Promise((resolve) => setTimeout(resolve, 5_500));
    }
    expect((await callback('balance', { account: player.account })).body.status).toBe('OK');
    await booksAgree();
  });
});
