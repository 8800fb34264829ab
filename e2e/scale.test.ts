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
import { bootPlatform, counterValue, dataOf, type GraphQLResult, sampleOf, type TestPlatform } from './support/platform';
import { forwardSms, seoulClock } from './support/recon';

const REPLICAS = 2;
const PROVIDER_SECRET = 'e2e-scale-provider-secret';
const OPERATOR_KEY = 'e2e-scale-operator-key';
const PLAYERS = 12;
const ROUNDS = 4;
const DEPOSIT = 10_000n;
/** The outbox publisher's batch (OutboxPublisher's default): at most what a killed publisher leaves to be appended again. */
const PUBLISH_BATCH = 500;

const TOP_INFO = 'subscription { topInfo { pendingDepositCount pendingDepositAmount pendingWithdrawalCount newPlayersToday updatedAt } }';
type Figures = { pendingDepositCount: number; pendingDepositAmount: string; pendingWithdrawalCount: number; newPlayersToday: number; updatedAt: string };

let platform: TestPlatform;
let prisma: PrismaClient;
let redis: Redis;
let staff: string;
const watchers: TestSubscription<{ topInfo: Figures }>[] = [];
/** What each demo player's balance must be, in cents, as the test moved it, and what it staked and won. */
const expected = new Map<string, { token: string; account: string; cents: bigint; staked: bigint; won: bigint }>();
/** Players there before the test registered any (the seed's): of every brand, and of demo today. */
let playersBefore: number;
let demoPlayersTodayBefore: number;
/** Midnight UTC, demo's day start. */
const midnight = () => new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);

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
  playersBefore = await prisma.player.count();
  const demo = await prisma.brand.findUniqueOrThrow({ where: { code: 'demo' } });
  demoPlayersTodayBefore = await prisma.player.count({ where: { brandId: demo.id, createdAt: { gte: midnight() } } });
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
    const approved = (decision: GraphQLResult) => decision.body.data?.approveDeposit?.status === 'APPROVED';
    // A refusal naming the state the twin left it in: the request was decided, nothing else went wrong.
    const decidedAlready = (decision: GraphQLResult) =>
      decision.body.errors?.length === 1 && decision.body.errors[0]!.extensions?.code === 'CONFLICT' && /is APPROVED, not PENDING/.test(decision.body.errors[0]!.message);
    for (const [index, id] of requests.entries()) {
      const pair = [decisions[index]!, decisions[index + PLAYERS]!];
      const why = `${id}: ${JSON.stringify(pair.map((decision) => [decision.status, decision.body]))}`;
      // One approves; the other finds it approved (idempotent) or is refused as decided already.
      expect(pair.some(approved), why).toBe(true);
      expect(pair.every((decision) => approved(decision) || decidedAlready(decision)), why).toBe(true);
    }
    for (const [index, token] of tokens.entries()) expected.set(usernames[index]!, { token, account: `demo_${usernames[index]}`, cents: DEPOSIT, staked: 0n, won: 0n });
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
          if (action === 'bet') player.staked += amount;
          else player.won += amount;
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
        player.staked += 100n;
        player.won += cents(body.win_amount);
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

  it('publishes every event, repeating only the batch a killed publisher left unmarked, and applies each once per consumer', { timeout: 120_000 }, async () => {
    const { streams } = await waitForQuiet();
    for (const domain of DOMAINS.filter((d) => d.produces && d.outbox)) {
      const stream = `rgb:stream:${domain.produces}`;
      const outbox = await prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM ${domain.outbox}`);
      const entries = streams.get(stream)!;
      expect(new Set(entries.map(({ id }) => id)), stream).toEqual(new Set(outbox.map(({ event_id }) => event_id)));
      // At least once by design: a publisher killed between its XADDs and its commit leaves its
      // batch to the other replica, which appends it again. So an event may repeat only as the
      // same entry, once (one publisher of each was killed), and never beyond one batch.
      const seen = new Map<string, string>();
      const repeated: string[] = [];
      for (const { id, envelope } of entries) {
        if (seen.has(id)) {
          expect(envelope, `${stream}: ${id} appended again with other contents`).toBe(seen.get(id));
          repeated.push(id);
        } else seen.set(id, envelope);
      }
      expect(new Set(repeated).size, `${stream}: an event appended more than twice`).toBe(repeated.length);
      expect(repeated.length, stream).toBeLessThanOrEqual(PUBLISH_BATCH);
      expect(await redis.xlen(`${stream}:dead-letter`), `${stream}:dead-letter`).toBe(0);
    }
    for (const domain of DOMAINS.filter((d) => d.consumes.length > 0)) {
      // What each consumer group applies, as its worker says (its handlers' event types), per stream it reads.
      const health = (await (await fetch(`${platform.platform.services.find(({ name }) => name === instanceName(domain.worker!.name, 1))!.url}/health`)).json()) as { loops: { name: string; handles?: string[] }[] };
      const groups = new Map<string, string[]>();
      const read = new Set<string>();
      for (const loop of health.loops) {
        const [, group, stream] = /^consumer (\S+) <- (\S+)$/.exec(loop.name) ?? [];
        if (!group || !stream || !loop.handles) continue;
        read.add(stream);
        // The handled events of that stream, each once however often the stream repeats it.
        const handled = new Set(streams.get(stream)!.filter(({ type }) => loop.handles!.includes(type)).map(({ id }) => id.toLowerCase()));
        groups.set(group, [...(groups.get(group) ?? []), ...handled]);
      }
      expect([...read].sort(), `${domain.name}: the streams its consumers read`).toEqual(domain.consumes.map((source) => `rgb:stream:${source}`).sort());
      for (const [group, handled] of groups) {
        const applied = await prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM ${domain.inbox} WHERE consumer = $1`, group);
        // Each event it handles applied (none acknowledged and lost), and nothing else.
        expect(applied.map(({ event_id }) => event_id).sort(), `${group}: its inbox against the events it handles`).toEqual([...handled].sort());
      }
    }
    // What an event applied twice would skew, against what the test did. Registrations: each player once.
    const registered = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT coalesce(sum(count), 0)::bigint AS n FROM admin.player_registration_daily`);
    expect(Number(registered[0]!.n)).toBe(playersBefore + PLAYERS + 1);
    // The requests the test made were all approved: none left pending in the staff's queue totals.
    const pendingTotals = await prisma.pendingRequestTotals.findMany({ select: { depositCount: true, depositAmountMinor: true, withdrawalCount: true, withdrawalAmountMinor: true } });
    expect(pendingTotals.length).toBeGreaterThan(0);
    for (const totals of pendingTotals) expect(totals).toEqual({ depositCount: 0, depositAmountMinor: 0n, withdrawalCount: 0, withdrawalAmountMinor: 0n });
    // Promotion's daily activity: each bet's stake and each win once (a win applied twice would double it).
    const players = await prisma.player.findMany({ where: { username: { in: [...expected.keys()] } }, select: { id: true, username: true } });
    const activity = await prisma.$queryRawUnsafe<{ player_id: string; stake: bigint; win: bigint }[]>(
      `SELECT player_id::text, sum(stake)::bigint AS stake, sum(win)::bigint AS win FROM promotion.player_day_activity WHERE player_id = ANY($1::uuid[]) GROUP BY player_id`,
      players.map(({ id }) => id),
    );
    const byPlayer = new Map(activity.map((row) => [row.player_id, { stake: row.stake, win: row.win }]));
    expect(Object.fromEntries(players.map(({ id, username }) => [username, byPlayer.get(id)]))).toEqual(
      Object.fromEntries([...expected].map(([username, { staked, won }]) => [username, { stake: staked, win: won }])),
    );
  });

  it('runs each scheduled job once per window across both replicas of its worker', { timeout: 120_000 }, async () => {
    const jobs = await prisma.scheduledJob.findMany();
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      const interval = Number(job.intervalMs);
      // A run counts its success before its row records it: the counters are read between two
      // reads of the row that show the same claim settled, so no run falls between them.
      // A run a killed worker held is taken over once its lease (30 s) expires.
      const { row, runs } = await waitFor(`${job.name} settled`, async () => {
        const settled = async () => {
          const now = await prisma.scheduledJob.findUniqueOrThrow({ where: { name: job.name } });
          return now.lastSuccessWindowStart?.getTime() === now.claimedWindowStart?.getTime() ? now : undefined;
        };
        const before = await settled();
        if (!before) return undefined;
        const successes = await summedCounter('scheduled_job_runs_total', { job: job.name, outcome: 'success' });
        const after = await settled();
        return after?.claimedWindowStart?.getTime() === before.claimedWindowStart?.getTime() ? { row: before, runs: successes } : undefined;
      }, 45_000);
      expect(row.lastError, job.name).toBeNull();
      expect(row.lastSuccessWindowStart, job.name).not.toBeNull();
      // Windows from the one the job was registered in to its latest success, each run once.
      const first = Math.floor(row.createdAt.getTime() / interval) * interval;
      const windows = (row.lastSuccessWindowStart!.getTime() - first) / interval + 1;
      // Registered in the last moments of a window, its first claim may fall in the next one.
      const lateRegistration = row.createdAt.getTime() - first > interval - 2_000;
      expect(lateRegistration ? [windows, windows - 1] : [windows], `${job.name}: ${runs} successful runs`).toContain(runs);
      expect(await summedCounter('scheduled_job_runs_total', { job: job.name, outcome: 'failure' }), job.name).toBe(0);
    }
  });

  it('tells each staff watcher every top-info change once, in order, ending on the figures the test made', async () => {
    // What the test did on demo: PLAYERS registered today, each deposit of DEPOSIT requested and approved, no withdrawal.
    const final = { pendingDepositCount: 0, pendingDepositAmount: '0.00', pendingWithdrawalCount: 0, newPlayersToday: demoPlayersTodayBefore + PLAYERS };
    for (const watcher of watchers) {
      await expect.poll(() => watcher.results.at(-1)?.data?.topInfo.newPlayersToday, { timeout: 10_000 }).toBe(final.newPlayersToday);
      const figures = watcher.results.map((result) => {
        expect(result.errors).toBeUndefined();
        return result.data!.topInfo;
      });
      const { updatedAt: _last, ...last } = figures.at(-1)!;
      expect(last).toEqual(final);
      for (const [index, current] of figures.entries()) {
        // Every figure on the way one the test's actions could show: a request counted twice (or its approval twice) would leave these bounds.
        expect(current.pendingDepositCount, `update ${index}`).toBeGreaterThanOrEqual(0);
        expect(current.pendingDepositCount, `update ${index}`).toBeLessThanOrEqual(PLAYERS);
        expect(cents(current.pendingDepositAmount), `update ${index}`).toBe(BigInt(current.pendingDepositCount) * DEPOSIT);
        expect(current.newPlayersToday, `update ${index}`).toBeLessThanOrEqual(final.newPlayersToday);
        if (index === 0) continue;
        const previous = figures[index - 1]!;
        const { updatedAt: _at, ...change } = current;
        const { updatedAt: _before, ...before } = previous;
        // Pushed only when the figures changed: the same figures twice is a notice handled twice.
        expect(change, `update ${index} repeats the one before`).not.toEqual(before);
        expect(Date.parse(current.updatedAt)).toBeGreaterThanOrEqual(Date.parse(previous.updatedAt));
        expect(current.newPlayersToday, `update ${index}: fewer new players than before`).toBeGreaterThanOrEqual(previous.newPlayersToday);
      }
    }
  });
});

/** Each entry of `stream`, in stream order: its event's id and type, and the envelope as appended. */
async function entriesOf(stream: string): Promise<{ id: string; type: string; envelope: string }[]> {
  const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => {
    const envelope = fields[1]!;
    const { event_id, event_type } = JSON.parse(envelope) as { event_id: string; event_type: string };
    return { id: event_id, type: event_type, envelope };
  });
}

/**
 * Waits until events have stopped moving: every consumer group of every stream has read all and
 * holds nothing pending, and no outbox has an unpublished row (consumers write new ones, e.g.
 * ROLLING_COMPLETED, as they apply events), the same on two reads in a row. An entry the killed
 * worker held is claimed by the other once idle 15 s. Returns each stream's entries.
 */
async function waitForQuiet(): Promise<{ streams: Map<string, Awaited<ReturnType<typeof entriesOf>>> }> {
  const streams = [...new Set(DOMAINS.flatMap((domain) => (domain.produces ? [`rgb:stream:${domain.produces}`] : [])))];
  const outboxes = DOMAINS.flatMap((domain) => (domain.outbox ? [domain.outbox] : []));
  const state = async () => ({
    groups: await Promise.all(
      streams.map(async (stream) => {
        const raw = (await redis.xinfo('GROUPS', stream)) as (string | number)[][];
        const groups = raw.map((group) => Object.fromEntries(group.flatMap((value, index) => (index % 2 === 0 ? [[value, group[index + 1]]] : []))));
        return { stream, length: await redis.xlen(stream), groups: groups.map((group) => ({ name: group.name, pending: group.pending, lag: group.lag })) };
      }),
    ),
    unpublished: await Promise.all(
      outboxes.map(async (outbox) => Number((await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM ${outbox} WHERE published_at IS NULL`))[0]!.n)),
    ),
  });
  let last = '';
  await waitFor(
    'every group drained and every outbox published, twice alike',
    async () => {
      const now = await state();
      const quiet = now.unpublished.every((n) => n === 0) && now.groups.every(({ groups }) => groups.length > 0 && groups.every((group) => group.pending === 0 && group.lag === 0));
      const same = JSON.stringify(now) === last;
      last = JSON.stringify(now);
      if (!(quiet && same)) await sleep(500);
      return quiet && same;
    },
    60_000,
  );
  return { streams: new Map(await Promise.all(streams.map(async (stream) => [stream, await entriesOf(stream)] as const))) };
}
