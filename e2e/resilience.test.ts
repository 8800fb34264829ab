/**
 * Faults that must not take the platform down, driven from outside as in production: the
 * database ending every session of the platform (a restart, a failover, a pooler) while money
 * moves (providers' signed callbacks through the router, retried on a 5xx as providers do), and
 * Redis going away (workers say so; what needs no Redis keeps working).
 */
import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { terminateSessions } from '@rgb/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../packages/events/test/redis-server';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { sendSignedCallback } from './support/callbacks';
import { freePorts } from './support/http';
import { bootPlatform, type TestPlatform } from './support/platform';

const SECRET = 'e2e-resilience-provider-secret';
/** The load comes from few addresses and callers; the edge's rate limits are not under test here. */
const OPEN_LIMITS = { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_CALLER_PER_MINUTE: '1000000', RATE_LIMIT_CALLER_BURST: '100000' };
const DEPOSIT_CENTS = 1_000_00;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const usd = (cents: number) => (cents / 100).toFixed(2);

/** Polls `problems` until a round finds none; fails unless that round ended by `deadline` (epoch ms). */
async function noProblemsBy(deadline: number, problems: () => Promise<string[]>): Promise<void> {
  for (;;) {
    const found = await problems().catch((error: unknown) => [String(error)]);
    const late = Date.now() - deadline;
    if (found.length === 0 && late <= 0) return;
    if (late > 0) throw new Error(`${found.length === 0 ? 'served again' : 'still failing'} ${late} ms past the deadline${found.length ? `: ${found.join('; ')}` : ''}`);
    await pause(100);
  }
}

/** The structured lines of `service` whose message is `msg`. */
function logLines(platform: TestPlatform, service: string, msg: string): Record<string, any>[] {
  return platform.output
    .filter((line) => line.startsWith(`${service}| {`))
    .map((line) => JSON.parse(line.slice(service.length + 2)) as Record<string, any>)
    .filter((entry) => entry.msg === msg);
}

describe('every session of the platform ended by the database under load', () => {
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let staffToken: string;
  const players = ['reset_ann', 'reset_bob', 'reset_cat'];
  const playerTokens = new Map<string, string>();

  beforeAll(async () => {
    platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET, ...OPEN_LIMITS });
    prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2, applicationName: 'e2e-resilience' });
    staffToken = (await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }))
      .body.data.staffLogin.accessToken;
    for (const username of players) {
      const { accessToken } = await platform.register(username);
      playerTokens.set(username, accessToken);
      const requested = await platform.graphql(`mutation ($a: Money!) { requestDeposit(input: { amount: $a, depositorName: "E2E" }) { id } }`, { a: usd(DEPOSIT_CENTS) }, { token: accessToken });
      const approved = await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id: requested.body.data.requestDeposit.id }, { token: staffToken });
      expect(approved.body.data.approveDeposit.status).toBe('APPROVED');
    }
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await platform?.stop();
  });

  interface Answer {
    status: string;
    balance?: string;
    duplicate?: boolean;
    error_code?: string;
  }

  /** One signed callback; no answer (0) when the connection broke. */
  async function callback(action: string, raw: string): Promise<{ status: number; text: string }> {
    return sendSignedCallback(platform, action, raw, SECRET).catch((error: Error) => ({ status: 0, text: error.message }));
  }

  const request = (body: Record<string, unknown>) => JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', ...body });

  /** Sends one callback until the platform answers it: a provider resends the same request after a 5xx or a broken connection. */
  async function answered(action: string, body: Record<string, unknown>): Promise<{ answer: Answer; attempts: number }> {
    const raw = request(body);
    for (let attempts = 1; ; attempts++) {
      const response = await callback(action, raw);
      if (response.status !== 0 && response.status < 500) return { answer: JSON.parse(response.text) as Answer, attempts };
      if (attempts === 100) throw new Error(`${action} ${raw} never answered: ${response.status} ${response.text}`);
      await pause(50);
    }
  }

  interface Operation {
    account: string;
    action: 'bet' | 'win';
    transactionId: string;
    roundId: string;
    cents: number;
    attempts: number;
  }

  it('keeps serving, loses nothing and applies nothing twice', async () => {
    const done: Operation[] = [];
    const refused: string[] = [];
    let running = true;
    /** Rounds of one bet and one win each, on one player's account, for as long as the test runs. */
    const lane = async (username: string, lane: string) => {
      const account = `demo_${username}`;
      for (let round = 0; running; round++) {
        const roundId = `${lane}-r${round}`;
        const bet = { account, action: 'bet' as const, transactionId: `${lane}-bet-${round}`, roundId, cents: 1 + (round % 5) };
        const win = { account, action: 'win' as const, transactionId: `${lane}-win-${round}`, roundId, cents: 1 + (round % 3) };
        const call = { account, round_id: roundId, game_code: 'demo-slot' };
        const betAnswer = await answered('bet', { ...call, transaction_id: bet.transactionId, amount: usd(bet.cents) });
        if (betAnswer.answer.status !== 'OK') {
          refused.push(`${bet.transactionId}: ${JSON.stringify(betAnswer.answer)}`);
          continue;
        }
        done.push({ ...bet, attempts: betAnswer.attempts });
        const winAnswer = await answered('win', { ...call, transaction_id: win.transactionId, amount: usd(win.cents), reference_transaction_id: bet.transactionId, round_closed: true });
        if (winAnswer.answer.status !== 'OK') refused.push(`${win.transactionId}: ${JSON.stringify(winAnswer.answer)}`);
        else done.push({ ...win, attempts: winAnswer.attempts });
      }
    };
    const lanes = players.flatMap((username) => [lane(username, `${username}-1`), lane(username, `${username}-2`)]);
    const progressed = async (operations: number) => {
      const target = done.length + operations;
      while (done.length < target) await pause(20);
    };

    /** What does not work yet after the sessions ended at `endedAt`; `newcomer` registers meanwhile. */
    const notServing = async (endedAt: Date, newcomer: string): Promise<string[]> => {
      const problems: string[] = [];
      const check = async (what: string, probe: () => Promise<boolean>) => {
        if (!(await probe().catch(() => false))) problems.push(what);
      };
      await Promise.all([
        ...platform.platform.services.map((service) =>
          check(`${service.name} /health`, async () => (await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(2_000) })).status === 200),
        ),
        check('me through the router (player, wallet)', async () => {
          const me = await platform.graphql(`{ me { username wallet { currency } } }`, undefined, { token: playerTokens.get(players[0]!) });
          return me.body.data?.me?.wallet?.currency === 'USD';
        }),
        check('brands for staff (admin)', async () => {
          const brands = await platform.graphql(`{ brands { code } }`, undefined, { token: staffToken });
          return (brands.body.data?.brands ?? []).some((brand: { code: string }) => brand.code === 'demo');
        }),
        check('a balance callback (game, wallet)', async () => {
          const response = await callback('balance', request({ account: `demo_${players[0]}` }));
          return response.status === 200 && (JSON.parse(response.text) as Answer).status === 'OK';
        }),
        check('a registration, counted once by the admin projection (player, player_worker, admin_worker)', async () => {
          const registered = await platform.graphql(
            `mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }`,
            { input: { username: newcomer, password: 'password-123', nickname: newcomer } },
          );
          // CONFLICT: an earlier try registered it, though its answer was lost.
          if (!registered.body.data && registered.body.errors?.[0]?.extensions?.code !== 'CONFLICT') return false;
          const [counted] = await prisma.$queryRawUnsafe<{ agree: boolean }[]>(
            `SELECT (SELECT coalesce(sum(count), 0) FROM admin.player_registration_daily) = (SELECT count(*) FROM player.player) AS agree`,
          );
          return counted!.agree;
        }),
        check('the outboxes published up to the reset (player_worker, wallet_worker)', async () => {
          const [unpublished] = await prisma.$queryRawUnsafe<{ count: bigint }[]>(
            `SELECT (SELECT count(*) FROM player.outbox WHERE published_at IS NULL AND created_at <= $1)
                  + (SELECT count(*) FROM wallet.outbox WHERE published_at IS NULL AND created_at <= $1) AS count`,
            endedAt,
          );
          return unpublished!.count === 0n;
        }),
      ]);
      return problems;
    };

    try {
      await progressed(20);
      for (let reset = 1; reset <= 3; reset++) {
        const endedAt = new Date();
        expect(await terminateSessions(platform.databaseUrl, { waitMs: 0 })).toBeGreaterThan(0);
        // 21 processes reconnect at once on two cores: 10 s, where 19 fitted in 5.
        await noProblemsBy(endedAt.getTime() + 10_000, () => notServing(endedAt, `reset_new_${reset}`));
        await progressed(20);
      }
    } finally {
      running = false;
      await Promise.all(lanes);
    }

    expect(platform.crashes).toEqual([]);
    expect(refused).toEqual([]);
    // The resets failed calls in flight; their resends were answered, and applied once.
    expect(done.some((operation) => operation.attempts > 1)).toBe(true);

    // Every operation answered OK is in the ledger exactly once, with its amount, and nothing else is.
    const ledger = await prisma.$queryRawUnsafe<{ username: string; command_key: string; amount: bigint }[]>(
      `SELECT p.username, l.command_key, l.amount FROM wallet.ledger_entry l JOIN player.player p ON p.id = l.player_id
       WHERE p.username = ANY($1) ORDER BY l.command_key`,
      players,
    );
    for (const username of players) {
      const entries = ledger.filter((entry) => entry.username === username);
      expect(entries.filter((entry) => entry.command_key.startsWith('deposit.approve:')).map((entry) => entry.amount)).toEqual([BigInt(DEPOSIT_CENTS)]);
      const expected = done
        .filter((operation) => operation.account === `demo_${username}`)
        .map((operation) => `${operation.action}:demo:${operation.transactionId} ${operation.action === 'bet' ? -operation.cents : operation.cents}`)
        .sort();
      const moved = entries.filter((entry) => !entry.command_key.startsWith('deposit.approve:')).map((entry) => `${entry.command_key} ${entry.amount}`).sort();
      expect(moved).toEqual(expected);
      const cents = done.filter((operation) => operation.account === `demo_${username}`).reduce((sum, operation) => sum + (operation.action === 'bet' ? -operation.cents : operation.cents), DEPOSIT_CENTS);
      expect((await answered('balance', { account: `demo_${username}` })).answer).toMatchObject({ status: 'OK', balance: usd(cents) });
    }

    // A provider resending settled bets gets their first answers and moves nothing.
    const settledBets = done.filter((operation) => operation.action === 'bet').slice(0, 5);
    for (const bet of settledBets) {
      const again = await answered('bet', { account: bet.account, transaction_id: bet.transactionId, amount: usd(bet.cents), round_id: bet.roundId, game_code: 'demo-slot' });
      expect(again.answer).toMatchObject({ status: 'OK', duplicate: true });
    }
    expect(await prisma.ledgerEntry.count({ where: { commandKey: { in: settledBets.map((bet) => `bet:demo:${bet.transactionId}`) } } })).toBe(settledBets.length);
    expect(await findLedgerMismatches(prisma)).toEqual([]);

    // Each process that holds database connections said what happened, in its structured log.
    for (const service of platform.platform.services.filter((service) => service.name !== 'router')) {
      expect(logLines(platform, service.name, 'database connection error').some((entry) => entry.level === 'warn' && entry.err?.code === '57P01'), service.name).toBe(true);
    }
  }, 180_000);
});

describe('Redis gone', () => {
  let redis: RedisServer;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  const WORKERS = ['player_worker', 'wallet_worker', 'game_worker', 'rolling_worker', 'promotion_worker', 'agent_worker', 'recon_worker', 'admin_worker'];

  beforeAll(async () => {
    const [redisPort] = await freePorts(1);
    redis = new RedisServer(redisPort!);
    await redis.start();
    platform = await bootPlatform(OPEN_LIMITS, { redisUrl: redis.url });
    prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-resilience' });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await platform?.stop();
    await redis?.dispose();
  });

  const healthOf = async (service: string) => {
    const response = await fetch(`${platform.serviceUrl(service)}/health`, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };
  const login = async (username: string) =>
    platform.graphql(`mutation ($input: LoginInput!) { login(input: $input) { accessToken } }`, { input: { username, password: 'password-123' } });
  const me = async (token: string) => platform.graphql(`{ me { username wallet { balance } } }`, undefined, { token });

  /** Why the workers are not healthy and idle: each unpublished event, each registration admin_worker has not counted. */
  const notIdle = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const name of WORKERS) {
      const { status, body } = await healthOf(name);
      if (status !== 200) problems.push(`${name}: ${status} ${body.reason ?? ''}`);
    }
    const [waiting] = await prisma.$queryRawUnsafe<{ count: bigint }[]>(
      `SELECT (SELECT count(*) FROM player.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM wallet.outbox WHERE published_at IS NULL)
        + (SELECT count(*) FROM game.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM rolling.outbox WHERE published_at IS NULL)
        + (SELECT count(*) FROM promotion.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM agent.outbox WHERE published_at IS NULL)
        + (SELECT count(*) FROM recon.outbox WHERE published_at IS NULL) AS count`,
    );
    if (waiting!.count !== 0n) problems.push(`${waiting!.count} events unpublished`);
    const [counted] = await prisma.$queryRawUnsafe<{ agree: boolean }[]>(
      `SELECT (SELECT coalesce(sum(count), 0) FROM admin.player_registration_daily) = (SELECT count(*) FROM player.player) AS agree`,
    );
    if (!counted!.agree) problems.push('registrations not all counted by admin_worker');
    return problems;
  };

  it('turns every idle worker unhealthy within 15 s, saying why, while what needs no Redis keeps serving; all recover when it returns', async () => {
    const { accessToken } = await platform.register('redis_ann');
    // Idle: the publishers have nothing to append, so only the new reachability check can notice.
    await noProblemsBy(Date.now() + 15_000, notIdle);

    await redis.stop();
    const stoppedAt = Date.now();
    const reasons = new Map<string, string>();
    await noProblemsBy(stoppedAt + 15_000, async () => {
      const problems: string[] = [];
      for (const name of WORKERS) {
        const { status, body } = await healthOf(name);
        if (status === 503 && /redis|rgb:stream:/i.test(body.reason ?? '')) reasons.set(name, body.reason!);
        else problems.push(`${name}: ${status} ${body.reason ?? ''}`);
      }
      return problems;
    });
    expect(reasons.get('player_worker')).toMatch(/publisher player\.outbox -> rgb:stream:player: failing for \d+ s: Redis: cannot append to rgb:stream:player: /);
    expect(reasons.get('wallet_worker')).toMatch(/publisher wallet\.outbox -> rgb:stream:wallet: failing for \d+ s: Redis: cannot append to rgb:stream:wallet: /);
    expect(reasons.get('game_worker')).toMatch(/publisher game\.outbox -> rgb:stream:game: failing for \d+ s: Redis: cannot append to rgb:stream:game: /);
    expect(reasons.get('admin_worker')).toMatch(/rgb:stream:player.*failing for \d+ s: /);

    // What needs no Redis keeps serving: the router (rate limit and revocation checks fail open),
    // the subgraphs, a sign-in, a registration and a deposit request, whose events wait in the outboxes.
    for (const name of ['router', 'admin', 'player', 'wallet', 'game', 'agent', 'recon']) expect((await healthOf(name)).status, name).toBe(200);
    const signedIn = await login('redis_ann');
    expect(signedIn.body.errors).toBeUndefined();
    const token = signedIn.body.data.login.accessToken as string;
    expect((await me(token)).body.data.me).toEqual({ username: 'redis_ann', wallet: { balance: '0.00' } });
    expect((await me(accessToken)).body.data.me.username).toBe('redis_ann');
    const registered = await platform.register('redis_bob');
    const deposit = await platform.graphql(`mutation { requestDeposit(input: { amount: "15.00", depositorName: "E2E" }) { status } }`, undefined, { token: registered.accessToken });
    expect(deposit.body.data.requestDeposit.status).toBe('PENDING');

    // Back on the same port, empty: every worker heals by itself, and what waited is published and counted.
    await redis.start();
    await noProblemsBy(Date.now() + 30_000, notIdle);
    expect(platform.crashes).toEqual([]);
  }, 120_000);
});
