// Responsible gaming against the real platform: a player's loss, wager, session-time and
// reality-check limits (a tightening in force at once, a loosening after 24 h), self-exclusion,
// each enforced on launch and bet and audited, the tenant boundary, and concurrent bets against a
// limit. The bets go to an RGS of this test's own, on the platform's database and router, whose
// clock the test moves instead of waiting.
import { formatMoney, parseMoney } from '@rgb/contracts';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createLogger } from '@rgb/kit';
import { TEST_PROVIDER_SECRET } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedPlayer } from '../../../e2e/support/callbacks';
import { bootPlatform, type TestPlatform } from '../../../e2e/support/platform';
import { findLedgerMismatches } from '../../../subgraphs/wallet/src/reconciliation';
import { createRgs, loadRgsConfig, type Rgs } from '../src/index';
import { addOperator, operatorClient, operatorInput, type OperatorClient } from './support/rgs';

const PLATFORM_KEY = 'rg-test-platform-operator-key-000';
const OTHER_KEY = 'rg-test-other-operator-key-000000';
const SEOUL_KEY = 'rg-test-seoul-operator-key-000000';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let platform: TestPlatform;
let prisma: PrismaClient;
let rgs: Rgs;
let rgsUrl: string;
/** The platform's operator (seeded, UTC), another paying through the same router, and one whose days are Seoul's. */
let operator: OperatorClient;
let other: OperatorClient;
let seoul: OperatorClient;

/** The RGS's clock: real time shifted by `shift`, which the tests move forward (or set to a date). */
let shift = 0;
const now = () => new Date(Date.now() + shift);
const setNow = (at: Date | string) => {
  shift = new Date(at).getTime() - Date.now();
};
const advance = (ms: number) => {
  shift += ms;
};

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_RGS_SECRET: TEST_PROVIDER_SECRET, RGS_OPERATOR_KEY: PLATFORM_KEY }, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
  await addOperator(prisma, operatorInput('other', OTHER_KEY, platform.routerUrl));
  await addOperator(prisma, operatorInput('seoul', SEOUL_KEY, platform.routerUrl, { timezone: 'Asia/Seoul' }));
  const config = loadRgsConfig({
    NODE_ENV: 'test',
    DATABASE_URL: platform.databaseUrl,
    DATABASE_POOL_SIZE: '8',
    REDIS_URL: platform.redisUrl,
    PORT: '0',
    METRICS_PORT: '0',
  });
  rgs = createRgs(config, createLogger('rgs', 'silent'), { clock: now });
  rgsUrl = await rgs.listen();
  operator = operatorClient(rgsUrl, PLATFORM_KEY);
  other = operatorClient(rgsUrl, OTHER_KEY);
  seoul = operatorClient(rgsUrl, SEOUL_KEY);
});
afterAll(async () => {
  await rgs?.close();
  await prisma?.$disconnect();
  await platform?.stop();
});

interface Player {
  account: string;
  token: string;
  sessionToken: string;
}

/** A player of demo with 100.00 deposited, and a session of `client`'s operator. */
async function player(username: string, client = operator): Promise<Player> {
  const { account, token } = await fundedPlayer(platform, username);
  return { account, token, sessionToken: await launch(client, account) };
}

async function launch(client: OperatorClient, account: string): Promise<string> {
  const launched = await client.post('/sessions/launch', { player_id: account, currency: 'USD', game_code: 'rgs-dice' });
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return launched.body.session_token;
}

const limitsOf = (client: OperatorClient, who: Player) => client.get(`/players/${who.account}/limits`);
const setLimits = (client: OperatorClient, who: Player, limits: Record<string, unknown>) => client.put(`/players/${who.account}/limits`, limits);
const bet = (who: Player, amount = '1.00', client = operator) => client.bet({ session_token: who.sessionToken, amount, pick: 1 });
const codeOf = (answer: { status: number; body: any }) => (answer.status === 200 ? 200 : answer.body.error.code);

const auditOf = async (action: string, targetId: string) =>
  (await prisma.rgsAuditLog.findMany({ where: { action, targetId }, orderBy: { id: 'asc' } })).map((row) => row.details as Record<string, any>);
const minor = (money: string) => parseMoney(money, 'USD', { allowZero: true });

async function balance(who: Player): Promise<bigint> {
  const answer = await platform.graphql('{ me { wallet { balance } } }', undefined, { token: who.token });
  return minor(answer.body.data.me.wallet.balance);
}

describe('limits set by the operator', () => {
  it('tightens at once and loosens only after 24 h, pending and shown until then; each change audited and an event', async () => {
    setNow('2030-01-07T00:30:00Z');
    const alice = await player('rg_alice');
    const none = await limitsOf(operator, alice);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ player_id: alice.account, currency: 'USD', self_exclusion: null });
    expect(Object.values(none.body.limits)).toEqual(Array(8).fill({ value: null, pending: null }));

    const set = await setLimits(operator, alice, { daily_wager_limit: '3.00', session_time_limit_minutes: 600 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.limits.daily_wager_limit).toEqual({ value: '3.00', pending: null });
    expect(set.body.limits.session_time_limit_minutes).toEqual({ value: 600, pending: null });
    for (let index = 0; index < 3; index++) expect(codeOf(await bet(alice))).toBe(200);
    const refused = await bet(alice);
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 403, code: 'PLAYER_WAGER_LIMIT_REACHED' });

    // A loosening (and removing a limit is one) waits 24 h; asked again, it keeps its time.
    const loosened = await setLimits(operator, alice, { daily_wager_limit: '10.00', session_time_limit_minutes: null });
    const inForceFrom = '2030-01-08T00:30:00.000Z';
    expect(loosened.body.limits.daily_wager_limit).toEqual({ value: '3.00', pending: { value: '10.00', in_force_from: expect.any(String) } });
    expect(Date.parse(loosened.body.limits.daily_wager_limit.pending.in_force_from) - Date.parse(inForceFrom)).toBeLessThan(60_000);
    expect(loosened.body.limits.session_time_limit_minutes).toMatchObject({ value: 600, pending: { value: null } });
    advance(HOUR);
    const again = await setLimits(operator, alice, { daily_wager_limit: '10.00' });
    expect(again.body.limits.daily_wager_limit.pending).toEqual(loosened.body.limits.daily_wager_limit.pending);

    // 23 hours on (still the same UTC day; a new session, the last one past its 600 minutes): the 3.00 limit holds.
    setNow('2030-01-07T23:30:00Z');
    alice.sessionToken = await launch(operator, alice.account);
    expect(codeOf(await bet(alice))).toBe('PLAYER_WAGER_LIMIT_REACHED');
    // Past 24 h, a new day: the fourth bet of 1.00 passes only under the 10.00 limit.
    setNow('2030-01-08T00:32:00Z');
    alice.sessionToken = await launch(operator, alice.account);
    for (let index = 0; index < 4; index++) expect(codeOf(await bet(alice))).toBe(200);
    const after = await limitsOf(operator, alice);
    expect(after.body.limits.daily_wager_limit).toEqual({ value: '10.00', pending: null });
    expect(after.body.limits.session_time_limit_minutes).toEqual({ value: null, pending: null });

    // A tightening drops a pending loosening.
    await setLimits(operator, alice, { weekly_loss_limit: '50.00' });
    await setLimits(operator, alice, { weekly_loss_limit: '80.00' });
    const tightened = await setLimits(operator, alice, { weekly_loss_limit: '40.00' });
    expect(tightened.body.limits.weekly_loss_limit).toEqual({ value: '40.00', pending: null });

    const audit = await auditOf('player.limits_set', alice.account);
    expect(audit.map((entry) => entry.changes)).toEqual([
      [
        { limit: 'daily_wager_limit', from: null, to: '3.00', in_force_from: expect.stringMatching(/^2030-01-07T00:30/) },
        { limit: 'session_time_limit_minutes', from: null, to: 600, in_force_from: expect.any(String) },
      ],
      [
        { limit: 'daily_wager_limit', from: '3.00', to: '10.00', in_force_from: loosened.body.limits.daily_wager_limit.pending.in_force_from },
        { limit: 'session_time_limit_minutes', from: 600, to: null, in_force_from: expect.any(String) },
      ],
      [{ limit: 'weekly_loss_limit', from: null, to: '50.00', in_force_from: expect.any(String) }],
      [{ limit: 'weekly_loss_limit', from: '50.00', to: '80.00', in_force_from: expect.any(String) }],
      [{ limit: 'weekly_loss_limit', from: '50.00', to: '40.00', in_force_from: expect.any(String) }],
    ]);
    const events = await prisma.rgsEvent.findMany({ where: { type: 'player.limits_changed', data: { path: ['player_id'], equals: alice.account } } });
    expect(events).toHaveLength(5);
    await expectBooksAgree();
  });

  it('refuses bad limits with 400 and changes nothing; only the known player of the calling operator is found', async () => {
    setNow(new Date());
    const bob = await player('rg_bob');
    for (const bad of [{}, { daily_loss_limit: '0.00' }, { daily_loss_limit: '1.001' }, { daily_loss_limit: 5 }, { session_time_limit_minutes: 0 }, { reality_check_interval_minutes: 1.5 }, { dialy_loss_limit: '5.00' }]) {
      const answer = await setLimits(operator, bob, bad);
      expect({ bad, status: answer.status, code: answer.body.error.code }).toEqual({ bad, status: 400, code: 'INVALID_REQUEST' });
    }
    expect(await prisma.rgsPlayerLimit.count({ where: { player: { externalId: bob.account } } })).toBe(0);

    // Another operator's player, and one nobody launched, are 404 to read, set or exclude.
    for (const [client, who] of [[other, bob], [operator, { ...bob, account: 'demo_nobody' }]] as const) {
      expect((await limitsOf(client, who)).status).toBe(404);
      expect((await setLimits(client, who, { daily_loss_limit: '1.00' })).body.error.code).toBe('NOT_FOUND');
      expect((await client.post(`/players/${who.account}/self-exclusion`, { permanent: true })).body.error.code).toBe('NOT_FOUND');
    }
    expect((await other.post('/sessions/reality-check', { session_token: bob.sessionToken })).body.error.code).toBe('SESSION_INVALID');
    expect((await operatorClient(rgsUrl, undefined).get(`/players/${bob.account}/limits`)).status).toBe(401);
    expect(await prisma.rgsPlayerLimit.count({ where: { player: { externalId: bob.account } } })).toBe(0);
    expect(await prisma.rgsSelfExclusion.count({ where: { player: { externalId: bob.account } } })).toBe(0);
    // The same player id at the other operator is another player, with limits of its own.
    await launch(other, bob.account);
    await setLimits(other, bob, { daily_loss_limit: '1.00' });
    expect((await limitsOf(operator, bob)).body.limits.daily_loss_limit.value).toBeNull();
  });
});

describe('periods of the operator', () => {
  it("sums a weekly and a monthly wager limit over the operator's ISO week and month in its time zone", async () => {
    // Seoul is UTC+9: its Monday 28 January 00:30 is Sunday 15:30 UTC, its 1 February 00:30 is 31 January 15:30 UTC.
    setNow('2030-01-20T15:30:00Z'); // Monday 21 January, 00:30 in Seoul
    const carol = await player('rg_carol', seoul);
    await setLimits(seoul, carol, { weekly_wager_limit: '3.00', monthly_wager_limit: '4.00' });
    expect(codeOf(await bet(carol, '1.00', seoul))).toBe(200);
    expect(codeOf(await bet(carol, '1.00', seoul))).toBe(200);
    setNow('2030-01-27T14:30:00Z'); // Sunday 27 January, 23:30 in Seoul: the same week
    carol.sessionToken = await launch(seoul, carol.account);
    expect(codeOf(await bet(carol, '1.00', seoul))).toBe(200);
    const weekly = await bet(carol, '1.00', seoul);
    expect(weekly.body.error).toEqual({ code: 'PLAYER_WAGER_LIMIT_REACHED', message: "the player's weekly wager limit is 3.00; they have staked 3.00 this week" });
    setNow('2030-01-27T15:30:00Z'); // Monday 28 January in Seoul, still Sunday in UTC: a new week
    expect(codeOf(await bet(carol, '1.00', seoul))).toBe(200);
    const monthly = await bet(carol, '1.00', seoul);
    expect(monthly.body.error.message).toBe("the player's monthly wager limit is 4.00; they have staked 4.00 this month");
    setNow('2030-01-31T15:30:00Z'); // 1 February in Seoul, 31 January in UTC: a new month
    carol.sessionToken = await launch(seoul, carol.account);
    expect(codeOf(await bet(carol, '1.00', seoul))).toBe(200);
    const refusals = await prisma.rgsAuditLog.findMany({ where: { action: 'bet.refused', details: { path: ['player_id'], equals: carol.account } } });
    expect(refusals.map((row) => (row.details as { code: string }).code)).toEqual(['PLAYER_WAGER_LIMIT_REACHED', 'PLAYER_WAGER_LIMIT_REACHED']);
  });
});

describe('sessions', () => {
  it('refuses a bet past the session time limit and ends the session; a new session plays again', async () => {
    setNow(new Date());
    const dave = await player('rg_dave');
    await setLimits(operator, dave, { session_time_limit_minutes: 30 });
    expect(codeOf(await bet(dave))).toBe(200);
    advance(29 * 60_000);
    expect(codeOf(await bet(dave))).toBe(200);
    advance(60_000);
    const over = await bet(dave);
    expect({ status: over.status, code: over.body.error.code }).toEqual({ status: 403, code: 'SESSION_TIME_LIMIT_REACHED' });
    expect((await operator.post('/sessions/verify', { session_token: dave.sessionToken })).body.error.code).toBe('SESSION_REVOKED');
    expect(codeOf(await bet(dave))).toBe('SESSION_REVOKED');
    const ended = await prisma.rgsEvent.findMany({ where: { type: 'session.revoked', data: { path: ['player_id'], equals: dave.account } } });
    expect(ended.map((event) => (event.data as { reason: string }).reason)).toEqual(['session_time_limit']);
    expect((await auditOf('bet.refused', (await prisma.rgsSession.findFirstOrThrow({ where: { player: { externalId: dave.account } } })).id)).map((entry) => entry.code)).toEqual([
      'SESSION_TIME_LIMIT_REACHED',
    ]);
    dave.sessionToken = await launch(operator, dave.account);
    expect(codeOf(await bet(dave))).toBe(200);
  });

  it('refuses bets once the reality-check interval has passed, until the check is acknowledged', async () => {
    setNow(new Date());
    const erin = await player('rg_erin');
    await setLimits(operator, erin, { reality_check_interval_minutes: 15 });
    const first = await bet(erin, '2.00');
    expect(codeOf(first)).toBe(200);
    advance(15 * 60_000);
    const due = await bet(erin);
    expect({ status: due.status, code: due.body.error.code }).toEqual({ status: 403, code: 'REALITY_CHECK_REQUIRED' });
    const checked = await operator.post('/sessions/reality-check', { session_token: erin.sessionToken });
    expect(checked.status, JSON.stringify(checked.body)).toBe(200);
    expect(checked.body).toMatchObject({ player_id: erin.account, bets: 1, wagered: '2.00', net: formatMoney(minor(first.body.win_amount) - 200n, 'USD') });
    expect(checked.body.played_seconds).toBeGreaterThanOrEqual(900);
    expect(Date.parse(checked.body.next_check_at) - now().getTime()).toBeGreaterThan(14 * 60_000);
    expect(codeOf(await bet(erin))).toBe(200);
    advance(14 * 60_000);
    expect(codeOf(await bet(erin))).toBe(200);
    advance(60_000);
    expect(codeOf(await bet(erin))).toBe('REALITY_CHECK_REQUIRED');
    const session = await prisma.rgsSession.findFirstOrThrow({ where: { player: { externalId: erin.account } } });
    expect(await auditOf('session.reality_check', session.id)).toEqual([expect.objectContaining({ player_id: erin.account, bets: 1 })]);
    expect((await auditOf('bet.refused', session.id)).map((entry) => entry.code)).toEqual(['REALITY_CHECK_REQUIRED', 'REALITY_CHECK_REQUIRED']);
    expect(await prisma.rgsBet.count({ where: { sessionId: session.id } })).toBe(3);
  });
});

describe('self-exclusion', () => {
  it("ends the player's live sessions at once and refuses launches and bets until it ends; never shortened", async () => {
    setNow(new Date());
    const frank = await player('rg_frank');
    const second = await launch(operator, frank.account);
    expect(codeOf(await bet(frank))).toBe(200);
    const excluded = await operator.post(`/players/${frank.account}/self-exclusion`, { days: 7 });
    expect(excluded.status, JSON.stringify(excluded.body)).toBe(200);
    const until = new Date(now().getTime() + 7 * DAY);
    expect(excluded.body).toMatchObject({ player_id: frank.account, sessions_ended: 2, self_exclusion: { permanent: false } });
    expect(Math.abs(Date.parse(excluded.body.self_exclusion.until) - until.getTime())).toBeLessThan(60_000);
    for (const token of [frank.sessionToken, second]) {
      expect((await operator.post('/sessions/verify', { session_token: token })).body.error.code).toBe('SESSION_REVOKED');
      expect(codeOf(await operator.bet({ session_token: token, amount: '1.00', pick: 1 }))).toBe('SESSION_REVOKED');
    }
    const refused = await operator.post('/sessions/launch', { player_id: frank.account, currency: 'USD', game_code: 'rgs-dice' });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 403, code: 'SELF_EXCLUDED' });
    expect((await auditOf('session.launch_refused', frank.account)).map((entry) => entry.code)).toEqual(['SELF_EXCLUDED']);
    // A shorter exclusion asked meanwhile changes nothing.
    const shorter = await operator.post(`/players/${frank.account}/self-exclusion`, { days: 1 });
    expect(shorter.body.self_exclusion).toEqual(excluded.body.self_exclusion);
    expect((await limitsOf(operator, frank)).body.self_exclusion).toEqual(excluded.body.self_exclusion);

    const audit = await auditOf('player.self_exclude', frank.account);
    expect(audit[0]).toMatchObject({ player_id: frank.account, sessions_ended: [expect.any(String), expect.any(String)] });
    const revoked = await prisma.rgsEvent.findMany({ where: { type: 'session.revoked', data: { path: ['player_id'], equals: frank.account } } });
    expect(revoked.map((event) => (event.data as { reason: string }).reason)).toEqual(['self_exclusion', 'self_exclusion']);

    advance(6 * DAY);
    expect(codeOf(await operator.post('/sessions/launch', { player_id: frank.account, currency: 'USD', game_code: 'rgs-dice' }))).toBe('SELF_EXCLUDED');
    advance(DAY + 60_000);
    frank.sessionToken = await launch(operator, frank.account);
    expect(codeOf(await bet(frank))).toBe(200);
    await expectBooksAgree();
  });

  it('refuses, permanently, a bet of a session still live when the exclusion committed (checked under the player lock)', async () => {
    setNow(new Date());
    const grace = await player('rg_grace');
    const row = await prisma.rgsPlayer.findFirstOrThrow({ where: { externalId: grace.account, operator: { code: 'platform' } } });
    // As a bet that read its session just before the exclusion committed finds it: the session live, the exclusion in force.
    await prisma.rgsSelfExclusion.create({ data: { operatorId: row.operatorId, playerId: row.id, startedAt: now(), endsAt: null } });
    const refused = await bet(grace);
    expect({ status: refused.status, body: refused.body.error }).toEqual({ status: 403, body: { code: 'SELF_EXCLUDED', message: 'the player is self-excluded permanently' } });
    advance(3650 * DAY);
    expect(codeOf(await operator.post('/sessions/launch', { player_id: grace.account, currency: 'USD', game_code: 'rgs-dice' }))).toBe('SELF_EXCLUDED');
    expect(await prisma.rgsBet.count({ where: { playerId: row.id } })).toBe(0);
  });
});

describe('concurrent bets against a limit', () => {
  it('never lets concurrent bets past a wager or a loss limit: each bet reads the totals under the player lock', async () => {
    setNow(new Date());
    const heidi = await player('rg_heidi');
    await setLimits(operator, heidi, { daily_wager_limit: '5.00' });
    const wagers = await Promise.all(Array.from({ length: 16 }, () => bet(heidi)));
    expect(wagers.filter((answer) => answer.status === 200)).toHaveLength(5);
    for (const answer of wagers.filter((answer) => answer.status !== 200)) expect(answer.body.error.code).toBe('PLAYER_WAGER_LIMIT_REACHED');

    const ivan = await player('rg_ivan');
    await setLimits(operator, ivan, { daily_loss_limit: '2.00' });
    const answers = await Promise.all(Array.from({ length: 16 }, () => bet(ivan)));
    for (const answer of answers.filter((answer) => answer.status !== 200)) expect(answer.body.error.code).toBe('PLAYER_LOSS_LIMIT_REACHED');
    // In the order the bets took the lock (their nonces), no bet was taken whose loss would pass the limit.
    const placed = await prisma.rgsBet.findMany({ where: { player: { externalId: ivan.account } }, include: { round: true }, orderBy: { round: { nonce: 'asc' } } });
    expect(placed.length).toBeGreaterThanOrEqual(2);
    let net = 0n;
    for (const row of placed) {
      expect(-net + row.amountMinor, `bet at nonce ${row.round.nonce}`).toBeLessThanOrEqual(200n);
      net += row.winMinor - row.amountMinor;
    }
    expect(await balance(ivan)).toBe(10_000n + net);
    await expectBooksAgree();
  });

  it('refuses, and audits, a bet whose player limits cannot be read; nothing of it is recorded', async () => {
    setNow(new Date());
    const judy = await player('rg_judy');
    const before = await prisma.rgsBet.count();
    await prisma.$executeRawUnsafe('ALTER TABLE rgs.player_limit RENAME TO player_limit_away');
    const unreadable = await bet(judy, '1.00').finally(() => prisma.$executeRawUnsafe('ALTER TABLE rgs.player_limit_away RENAME TO player_limit'));
    expect({ status: unreadable.status, code: unreadable.body.error.code }).toEqual({ status: 503, code: 'LIMITS_UNAVAILABLE' });
    expect(await prisma.rgsBet.count()).toBe(before);
    const session = await prisma.rgsSession.findFirstOrThrow({ where: { player: { externalId: judy.account } } });
    expect((await auditOf('bet.refused', session.id)).map((entry) => entry.code)).toEqual(['LIMITS_UNAVAILABLE']);
    expect(codeOf(await bet(judy))).toBe(200);
  });
});

async function expectBooksAgree(): Promise<void> {
  expect(await findLedgerMismatches(prisma)).toEqual([]);
}
