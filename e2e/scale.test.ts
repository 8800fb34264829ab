/**
 * Two of everything: every API (each subgraph, the router, the RGS) and every worker runs twice,
 * each API behind the launcher's round-robin balancer as behind a Kubernetes Service. What one
 * instance hides shows here: a deposit, callback, settlement, bank text, event or scheduled job
 * handled twice (or lost) by two instances racing, and a subscription fed twice. Every balance
 * ends equal to its ledger and to what the test computed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenService } from '@rgb/auth';
import { formatMoney, parseMoney } from '@rgb/contracts';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { subscribeOverWebSocket, type TestSubscription, waitFor } from '@rgb/kit/testing';
import { instanceName, SERVICES } from '@rgb/platform';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAINS } from '../apps/platform/src/services';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { type PassedOn, sendSignedCallback } from './support/callbacks';
import { send } from './support/http';
import { bootPlatform, counterValue, type GraphQLResult, sampleOf, type TestPlatform } from './support/platform';
import { forwardSms, seoulClock } from './support/recon';

const REPLICAS = 2;
const PROVIDER_SECRET = 'e2e-scale-provider-secret';
const OPERATOR_KEY = 'e2e-scale-operator-key';
const PLAYERS = 12;
const ROUNDS = 4;
const DEPOSIT = 10_000n;

const TOP_INFO = 'subscription { topInfo { pendingDepositCount pendingDepositAmount pendingWithdrawalCount newPlayersToday updatedAt } }';
type Figures = { pendingDepositCount: number; pendingDepositAmount: string; pendingWithdrawalCount: number; newPlayersToday: number; updatedAt: string };

let platform: TestPlatform;
let prisma: PrismaClient;
let redis: Redis;
let staff: string;
const watchers: TestSubscription<{ topInfo: Figures }>[] = [];
/** What each demo player's balance must be, in cents, as the test moved it. */
const expected = new Map<string, { token: string; account: string; cents: bigint }>();

const instances = (name: string) => Array.from({ length: REPLICAS }, (_, index) => instanceName(name, index + 1));
const APIS = SERVICES.filter((spec) => spec.kind !== 'worker').map((spec) => spec.name);

beforeAll(async () => {
  platform = await bootPlatform(
    // Small pools: thirty-six processes share PostgreSQL's hundred connections (with whatever else uses it).
    { PROVIDER_DEMO_SECRET: PROVIDER_SECRET, RGS_OPERATOR_KEY: OPERATOR_KEY, DATABASE_POOL_SIZE: '2' },
    // Thirty-six processes booting at once on two cores.
    // A worker instance the test kills stays down: the other one must finish its work.
    { replicas: REPLICAS, startTimeoutMs: 180_000, restartPolicy: { initialDelayMs: 600_000, maxDelayMs: 600_000 } },
  );
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2, applicationName: 'e2e-scale' });
  redis = new Redis(platform.redisUrl);
  staff = dataOf(await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }))
    .staffLogin.accessToken;
  // Two watchers, two connections: the balancer gives each a router instance of its own.
  for (let index = 0; index < REPLICAS; index += 1) {
    const watcher = subscribeOverWebSocket<{ topInfo: Figures }>(`${platform.routerUrl.replace(/^http/, 'ws')}/graphql`, TOP_INFO, {
      payload: { authorization: `Bearer ${staff}` },
      headers: { host: 'localhost' },
    });
    watchers.push(watcher);
    await watcher.next(10_000);
  }
}, 300_000);
afterAll(async () => {
  for (const watcher of watchers) await watcher.dispose();
  redis?.disconnect();
  await prisma?.$disconnect();
  await platform?.stop();
});

function dataOf<T = any>(result: GraphQLResult<T>): T {
  expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
  return result.body.data as T;
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

/** Requests an instance served on its own port (its listeners' included), /health aside: the sum of its HTTP histogram's counts. */
async function servedRequests(instance: string): Promise<number> {
  const text = await (await fetch(`${platform.metricsUrl(instance)}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_request_duration_seconds_count{') && !line.includes('route="/health"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** The /metrics page of each worker instance the test killed, as it was just before. */
const killed = new Map<string, string>();

/**
 * Kills (SIGKILL) the second instance of every worker while work is under way, away from the
 * minute boundaries where scheduled jobs run, so none is mid-run and its counters, read just
 * before, are final.
 */
async function killOneOfEachWorker(): Promise<void> {
  for (const spec of SERVICES.filter(({ kind }) => kind === 'worker')) {
    const victim = platform.platform.services.find(({ name }) => name === instanceName(spec.name, REPLICAS))!;
    killed.set(victim.name, await (await fetch(`${victim.metricsUrl}/metrics`)).text());
    victim.process.kill('SIGKILL');
  }
}

/** Waits, if need be, until the clock is clear of the minute boundary where scheduled jobs are claimed. */
async function awayFromJobWindows(): Promise<void> {
  const second = (Date.now() % 60_000) / 1_000;
  if (second < 5 || second > 50) await sleep(((65 - second) % 60) * 1_000);
}

/** One sample summed over every instance of every process (the killed ones as they were): a counter the replicas share the work of. */
async function summedCounter(name: string, labels: Record<string, string>): Promise<number> {
  const counts = await Promise.all(
    platform.platform.services.map((service) => {
      const last = killed.get(service.name);
      return last === undefined ? counterValue(`${service.metricsUrl}/metrics`, name, labels) : sampleOf(last, name, labels);
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** The listener `<process>.<listener>` of each instance, reached as the router reaches it (with its proof). */
async function passedOnTo(listener: string): Promise<PassedOn[]> {
  const [process, name] = listener.split('.') as [string, string];
  const routerProof = await new TokenService({ secret: platform.secrets.INTERNAL_JWT_SECRET }).signService('router');
  return instances(process).map((instance) => ({ url: `http://127.0.0.1:${platform.ports[`${instance}.${name}`]}`, routerProof }));
}

const cents = (money: string) => parseMoney(money, 'USD', { allowZero: true });

describe('two instances of every API and worker', () => {
  it('starts every instance, each healthy', async () => {
    const names = SERVICES.flatMap((spec) => instances(spec.name));
    expect(platform.platform.services.map((service) => service.name).sort()).toEqual([...names].sort());
    for (const service of platform.platform.services) {
      expect((await fetch(`${service.url}/health`)).status, service.name).toBe(200);
    }
  });

  it('approves concurrent deposits once each, as staff through the router', async () => {
    const usernames = Array.from({ length: PLAYERS }, (_, index) => `scale_${index}`);
    const tokens = await inParallel(usernames, PLAYERS, async (username) => (await platform.register(username)).accessToken);
    const requests = await inParallel(tokens, PLAYERS, async (token) =>
      dataOf(await platform.graphql(`mutation ($a: Money!) { requestDeposit(input: { amount: $a, depositorName: "Scale" }) { id } }`, { a: formatMoney(DEPOSIT, 'USD') }, { token })).requestDeposit.id as string,
    );
    // Each approval twice at once: two wallet instances race over one request.
    const decisions = await inParallel([...requests, ...requests], PLAYERS * 2, async (id) =>
      platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id }, { token: staff }),
    );
    for (const [index, id] of requests.entries()) {
      const pair = [decisions[index]!, decisions[index + PLAYERS]!];
      // One approves; the other finds it approved already (an answer, or a refusal naming its state).
      expect(pair.filter((decision) => decision.body.data?.approveDeposit?.status === 'APPROVED').length, `${id}: ${JSON.stringify(pair.map((d) => d.body))}`).toBeGreaterThanOrEqual(1);
    }
    for (const [index, token] of tokens.entries()) expected.set(usernames[index]!, { token, account: `demo_${usernames[index]}`, cents: DEPOSIT });
    const balances = await inParallel(tokens, PLAYERS, async (token) => dataOf(await platform.graphql(`{ me { wallet { balance } } }`, undefined, { token })).me.wallet.balance);
    expect(balances).toEqual(tokens.map(() => formatMoney(DEPOSIT, 'USD')));
  });

  it('applies each provider callback once, however many game instances it reaches at once, while one instance of each worker is killed', async () => {
    const gameInstances = await passedOnTo('game.callback');
    const players = [...expected.values()];
    await awayFromJobWindows();
    const killing = sleep(500).then(killOneOfEachWorker);
    await inParallel(players, PLAYERS, async (player, playerIndex) => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const roundId = `scale-${playerIndex}-${round}`;
        const bet = 100n * BigInt(round + 1);
        const win = round % 2 === 0 ? bet * 2n : 0n;
        for (const [action, amount, extra] of [
          ['bet', bet, {}],
          ['win', win, { reference_transaction_id: `${roundId}-bet`, round_closed: true }],
        ] as const) {
          const raw = JSON.stringify({
            request_id: randomUUID(),
            timestamp: new Date().toISOString(),
            currency: 'USD',
            account: player.account,
            transaction_id: `${roundId}-${action}`,
            amount: formatMoney(amount, 'USD'),
            round_id: roundId,
            game_code: 'demo-slot',
            ...extra,
          });
          player.cents += action === 'bet' ? -amount : amount;
          // The provider's call through the router, and its twin straight to each game instance, all at once.
          const answers = await Promise.all([
            sendSignedCallback(platform, action, raw, PROVIDER_SECRET),
            ...gameInstances.map((via) => sendSignedCallback(platform, action, raw, PROVIDER_SECRET, 'demo', via)),
          ]);
          for (const answer of answers) {
            expect(answer.status, answer.text).toBe(200);
            expect(JSON.parse(answer.text), answer.text).toMatchObject({ status: 'OK', balance: formatMoney(player.cents, 'USD') });
          }
        }
      }
    });
    await killing;
    expect(killed.size).toBe(SERVICES.filter(({ kind }) => kind === 'worker').length);
    for (const player of players) {
      const me = dataOf(await platform.graphql(`{ me { wallet { balance } gameHistory(first: 50) { edges { node { roundId totalBet totalWin bets { kind } } } } } }`, undefined, { token: player.token })).me;
      expect(me.wallet.balance).toBe(formatMoney(player.cents, 'USD'));
      const rounds = me.gameHistory.edges.map((edge: { node: { roundId: string; totalBet: string; totalWin: string; bets: unknown[] } }) => edge.node);
      expect(rounds).toHaveLength(ROUNDS);
      for (const round of rounds) {
        const index = Number(round.roundId.split('-').pop());
        expect(round, round.roundId).toMatchObject({ totalBet: formatMoney(100n * BigInt(index + 1), 'USD'), bets: [{ kind: 'BET' }, { kind: 'WIN' }] });
      }
    }
  }, 90_000);

  it('settles RGS rounds played through its operator API once each on the platform', async () => {
    const players = [...expected.values()].slice(0, 4);
    await inParallel(players, players.length, async (player) => {
      const { sessionToken } = dataOf(await platform.graphql(`mutation { launchGame(gameCode: "rgs-dice") { sessionToken } }`, undefined, { token: player.token })).launchGame;
      for (let index = 0; index < 5; index += 1) {
        const key = randomUUID();
        const play = () =>
          send(
            `${platform.serviceUrl('rgs')}/bets`,
            'POST',
            { 'content-type': 'application/json', 'x-operator-key': OPERATOR_KEY, 'idempotency-key': key },
            JSON.stringify({ session_token: sessionToken, amount: '1.00', pick: (index % 6) + 1 }),
          );
        const answer = await play();
        expect(answer.status, answer.text).toBe(200);
        const body = JSON.parse(answer.text) as { status: string; win_amount: string; round_id: string };
        expect(body.status).toBe('SETTLED');
        player.cents += cents(body.win_amount) - 100n;
        // The operator retrying the same bet (its idempotency key) reaches either RGS instance: the same round, no second settlement.
        const again = await play();
        expect(JSON.parse(again.text)).toMatchObject({ round_id: body.round_id, win_amount: body.win_amount });
      }
    });
    for (const player of players) {
      expect(dataOf(await platform.graphql(`{ me { wallet { balance } } }`, undefined, { token: player.token })).me.wallet.balance).toBe(formatMoney(player.cents, 'USD'));
    }
  });

  it('approves a deposit a bank text shows paid once, when both recon instances receive the text at once', async () => {
    const ACME = 'acme.localhost';
    const acmeStaff = dataOf(await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }, { host: ACME }))
      .staffLogin.accessToken;
    const payer = (await platform.register('scale_recon', ACME)).accessToken;
    const request = dataOf(await platform.graphql(`mutation { requestDeposit(input: { amount: "50000", depositorName: "홍길동" }) { id } }`, undefined, { host: ACME, token: payer })).requestDeposit;
    const receivedAt = new Date();
    const sms = `[Web발신]\n신한${seoulClock(receivedAt)}\n110-***-123456\n입금    50,000\n잔액  1,234,567\n 홍길동`;
    const reconInstances = await passedOnTo('recon.webhook');
    const received = await Promise.all([forwardSms(platform, '15778000', sms, receivedAt), ...reconInstances.map((via) => forwardSms(platform, '15778000', sms, receivedAt, via))]);
    expect(received.map(({ status }) => status)).toEqual(received.map(() => 202));
    expect(new Set(received.map(({ id }) => id)).size).toBe(1);
    await expect
      .poll(async () => dataOf(await platform.graphql(`{ me { wallet { balance } } }`, undefined, { host: ACME, token: payer })).me.wallet.balance, { timeout: 15_000 })
      .toBe('50000');
    expect(await prisma.reconMatch.count()).toBe(1);
    expect(await prisma.depositRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ status: 'APPROVED', decidedBy: `recon:${received[0]!.id}` });
    const requests = dataOf(await platform.graphql(`{ depositRequests(first: 10) { edges { node { status } } } }`, undefined, { host: ACME, token: acmeStaff })).depositRequests.edges;
    expect(requests).toEqual([{ node: { status: 'APPROVED' } }]);
  });

  it('serves requests on both instances of every API', async () => {
    // Staff reads that reach each subgraph, many at once: connections the router opens beyond one per subgraph go round the balancer.
    const reads = [
      `{ brands { id } }`,
      `{ players(first: 1) { __typename } }`,
      `{ depositRequests(first: 1) { __typename } }`,
      `{ games(first: 1) { __typename } }`,
      `{ rollings(first: 1) { __typename } }`,
      `{ couponCampaigns(first: 1) { __typename } }`,
      `{ agents(first: 1) { __typename } }`,
      `{ reconDevices { __typename } }`,
    ];
    const load = reads.flatMap((query) => Array.from({ length: 16 }, () => query));
    const results = await inParallel(load, 32, (query) => platform.graphql(query, undefined, { token: staff }));
    for (const result of results) dataOf(result);
    const served = Object.fromEntries(await Promise.all(APIS.flatMap(instances).map(async (instance) => [instance, await servedRequests(instance)] as const)));
    for (const [instance, count] of Object.entries(served)) expect(count, `${instance} served no request: ${JSON.stringify(served)}`).toBeGreaterThan(0);
  });

  it('ends with every balance equal to its ledger and to what the test moved', async () => {
    // The killed worker instances went down, and nothing else did.
    expect(platform.crashes.map(({ service }) => service).sort()).toEqual([...killed.keys()].sort());
    expect(await findLedgerMismatches(prisma)).toEqual([]);
    const players = [...expected.values()];
    const balances = await inParallel(players, PLAYERS, async ({ token }) => dataOf(await platform.graphql(`{ me { wallet { balance } } }`, undefined, { token })).me.wallet.balance);
    expect(balances).toEqual(players.map(({ cents: moved }) => formatMoney(moved, 'USD')));
  });

  it('publishes each event once and applies it once per consumer, leaving nothing pending or parked', { timeout: 120_000 }, async () => {
    for (const domain of DOMAINS.filter((d) => d.produces && d.outbox)) {
      const stream = `rgb:stream:${domain.produces}`;
      const outbox = await prisma.$queryRawUnsafe<{ event_id: string; published: boolean }[]>(`SELECT event_id::text, published_at IS NOT NULL AS published FROM ${domain.outbox}`);
      await expect.poll(async () => (await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM ${domain.outbox} WHERE published_at IS NULL`))[0]!.n, { timeout: 10_000 }).toBe(0n);
      const published = await eventIdsOn(stream);
      // Two publishers racing over one outbox would put an event on the stream twice.
      expect(published.length, stream).toBe(new Set(published).size);
      expect(new Set(published), stream).toEqual(new Set(outbox.map(({ event_id }) => event_id)));
      expect(await redis.xlen(`${stream}:dead-letter`), `${stream}:dead-letter`).toBe(0);
    }
    for (const domain of DOMAINS.filter((d) => d.consumes.length > 0)) {
      // A consumer (`admin.audit`) may read several streams into one inbox.
      const consumed = new Set<string>();
      const consumers = new Set<string>();
      for (const source of domain.consumes) {
        const stream = `rgb:stream:${source}`;
        for (const { name } of await waitForGroupsDone(stream)) if (name.startsWith(`${domain.name}.`)) consumers.add(name);
        for (const id of await eventIdsOn(stream)) consumed.add(id);
      }
      expect(consumers.size, domain.name).toBeGreaterThan(0);
      for (const consumer of consumers) {
        const applied = await prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM ${domain.inbox} WHERE consumer = $1`, consumer);
        expect(applied.filter(({ event_id }) => !consumed.has(event_id)), `${consumer} applied events no stream it reads has`).toEqual([]);
      }
    }
    // A projection an event applied twice would skew: each registration counted once.
    const players = await prisma.player.count();
    await expect.poll(async () => Number((await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT coalesce(sum(count), 0)::bigint AS n FROM admin.player_registration_daily`))[0]!.n)).toBe(players);
  });

  it('runs each scheduled job once per window across both replicas of its worker', { timeout: 120_000 }, async () => {
    const jobs = await prisma.scheduledJob.findMany();
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      const interval = Number(job.intervalMs);
      // Settled: its latest claim's run recorded (a run under way counts before it is recorded).
      const row = await waitFor(`${job.name} settled`, async () => {
        const now = await prisma.scheduledJob.findUniqueOrThrow({ where: { name: job.name } });
        return now.lastSuccessWindowStart?.getTime() === now.claimedWindowStart?.getTime() ? now : undefined;
      // A run a killed worker held is taken over once its lease (30 s) expires.
      }, 45_000);
      expect(row.lastError, job.name).toBeNull();
      expect(row.lastSuccessWindowStart, job.name).not.toBeNull();
      // Windows from the one the job was registered in to its latest success, each run once.
      const first = Math.floor(row.createdAt.getTime() / interval) * interval;
      const windows = (row.lastSuccessWindowStart!.getTime() - first) / interval + 1;
      const runs = await summedCounter('scheduled_job_runs_total', { job: job.name, outcome: 'success' });
      // Registered in the last moments of a window, its first claim may fall in the next one.
      const lateRegistration = row.createdAt.getTime() - first > interval - 2_000;
      expect(lateRegistration ? [windows, windows - 1] : [windows], `${job.name}: ${runs} successful runs`).toContain(runs);
      expect(await summedCounter('scheduled_job_runs_total', { job: job.name, outcome: 'failure' }), job.name).toBe(0);
    }
  });

  it('tells each staff watcher every top-info change once, in order, ending on the figures of the database', async () => {
    const demo = await prisma.brand.findUniqueOrThrow({ where: { code: 'demo' } });
    // Registered today on demo's clock (UTC).
    const midnight = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    const players = await prisma.player.count({ where: { brandId: demo.id, createdAt: { gte: midnight } } });
    for (const watcher of watchers) {
      await expect.poll(() => watcher.results.at(-1)?.data?.topInfo.newPlayersToday, { timeout: 10_000 }).toBe(players);
      const figures = watcher.results.map((result) => {
        expect(result.errors).toBeUndefined();
        return result.data!.topInfo;
      });
      expect(figures.at(-1)).toMatchObject({ pendingDepositCount: 0, pendingDepositAmount: '0.00', pendingWithdrawalCount: 0 });
      for (const [index, current] of figures.entries()) {
        if (index === 0) continue;
        const previous = figures[index - 1]!;
        const { updatedAt: _at, ...change } = current;
        const { updatedAt: _before, ...before } = previous;
        // Pushed only when the figures changed: the same figures twice is a notice handled twice.
        expect(change, `update ${index} repeats the one before`).not.toEqual(before);
        expect(Date.parse(current.updatedAt)).toBeGreaterThanOrEqual(Date.parse(previous.updatedAt));
      }
    }
  });
});

/** The event_id of every entry of `stream`, in stream order. */
async function eventIdsOn(stream: string): Promise<string[]> {
  const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => (JSON.parse(fields[1]!) as { event_id: string }).event_id);
}

/** The consumer groups of `stream`, once each has read every entry and has none pending. */
async function waitForGroupsDone(stream: string): Promise<{ name: string }[]> {
  let groups: Record<string, unknown>[] = [];
  await expect
    .poll(
      async () => {
        const raw = (await redis.xinfo('GROUPS', stream)) as (string | number)[][];
        groups = raw.map((group) => Object.fromEntries(group.flatMap((value, index) => (index % 2 === 0 ? [[value, group[index + 1]]] : []))));
        return groups.map((group) => ({ name: group.name, pending: group.pending, lag: group.lag }));
      },
      // An entry a killed worker had read is claimed by the other once idle 15 s.
      { timeout: 40_000 },
    )
    .toSatisfy((rows: { pending: unknown; lag: unknown }[]) => rows.length > 0 && rows.every((row) => row.pending === 0 && row.lag === 0));
  return groups.map((group) => ({ name: String(group.name) }));
}
