/**
 * npm run bench:rolling — how soon a bet shows in the player's wagering progress, and how fast
 * the wallet's withdrawal check answers.
 *
 * Lag: on brand acme (deposits carry a 100 % requirement), BENCH_LOAD_RATE callbacks/s of
 * background bets and wins from other players run while each of BENCH_TRACERS tracer players
 * bets and wins in a loop and, after each win's answer, reads `me { rollings { accrued } }`
 * through the router every BENCH_POLL_MS until the win's turnover shows. Target: p99 under
 * 500 ms. Baseline in the same run: when the same win's BET_SETTLED_CONFIRMED reached
 * rgb:stream:wallet (the wallet's outbox publishing, which rolling cannot beat).
 *
 * Withdrawal check: `/internal/rolling/withdrawal-check` as the wallet calls it, BENCH_CHECK_RATE
 * a second at random times during the lag run (so under the same bet load); target p99 under
 * 50 ms. Then its capacity, closed loop, beside the same query as raw SQL from one connection per
 * caller.
 *
 * Env: BENCH_SECONDS (30), BENCH_TRACERS (4), BENCH_LOAD_PLAYERS (32), BENCH_LOAD_RATE (100),
 * BENCH_POLL_MS (10), BENCH_CHECK_RATE (20), BENCH_CHECK_CONCURRENCY (8), BENCH_CHECK_SECONDS (10).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TokenService } from '@rgb/auth';
import { STREAMS } from '@rgb/contracts';
import { createPrismaClient } from '@rgb/db';
import { findLedgerMismatches } from '../../subgraphs/wallet/src/reconciliation';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { percentile, runCallers, summarize, type LoadResult } from './load';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const TRACERS = Number(process.env.BENCH_TRACERS ?? 4);
const LOAD_PLAYERS = Number(process.env.BENCH_LOAD_PLAYERS ?? 32);
const LOAD_RATE = Number(process.env.BENCH_LOAD_RATE ?? 100);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 10);
const CHECK_RATE = Number(process.env.BENCH_CHECK_RATE ?? 20);
const CHECK_CONCURRENCY = Number(process.env.BENCH_CHECK_CONCURRENCY ?? 8);
const CHECK_SECONDS = Number(process.env.BENCH_CHECK_SECONDS ?? 10);
const HOST = 'acme.localhost';
/** KRW has no minor digits: a stake of 100 is 100 minor units, and demo-slot counts it in full on acme. */
const STAKE = 100;
/** acme's largest deposit: its requirement (the same amount) takes 100,000 stakes, more than any run bets, so it never completes. */
const DEPOSIT = 10_000_000;

const bench = await startBenchPlatform();
const { platform, secrets, databaseUrl, redisUrl } = bench;
const graphqlUrl = `${platform.routerUrl}/graphql`;
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const headers: Record<string, string> = { host: HOST, 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await send(graphqlUrl, 'POST', headers, JSON.stringify({ query, variables }), agent);
  const body = JSON.parse(response.text) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`graphql: ${response.text}`);
  return body.data;
}

async function callback(action: 'bet' | 'win', body: Record<string, unknown>): Promise<void> {
  const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'KRW', game_code: 'demo-slot', ...body });
  const response = await send(`${platform.routerUrl}/callbacks/demo/${action}`, 'POST', {
    'content-type': 'application/json',
    'x-signature': createHmac('sha256', secrets.PROVIDER_DEMO_SECRET).update(raw).digest('hex'),
  }, raw, agent);
  if (response.status !== 200 || !response.text.includes('"status":"OK"')) throw new Error(`${action}: ${response.status} ${response.text}`);
}

interface Player {
  id: string;
  account: string;
  token: string;
}

/** Players of acme, each with an approved deposit (and so a requirement of the same amount) to bet from. */
async function players(prefix: string, count: number, staffToken: string): Promise<Player[]> {
  const made: Player[] = [];
  for (let index = 0; index < count; index++) {
    const username = `${prefix}_${index}`;
    const { registerPlayer } = await graphql<{ registerPlayer: { accessToken: string } }>(
      'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
      { input: { username, password: 'bench-password', nickname: username } },
    );
    const token = registerPlayer.accessToken;
    const { requestDeposit } = await graphql<{ requestDeposit: { id: string } }>(
      'mutation ($a: Money!) { requestDeposit(input: { amount: $a, depositorName: "Bench" }) { id } }',
      { a: String(DEPOSIT) },
      token,
    );
    await graphql('mutation ($id: ID!) { approveDeposit(id: $id) { status } }', { id: requestDeposit.id }, staffToken);
    made.push({ id: decodeJwt(token).sub!, account: `acme_${username}`, token });
  }
  return made;
}

const accruedOf = async (player: Player): Promise<number | null> => {
  const { me } = await graphql<{ me: { rollings: { accrued: string; status: string }[] } }>('{ me { rollings { accrued status } } }', {}, player.token);
  const active = me.rollings.find((rolling) => rolling.status === 'ACTIVE');
  return active ? Number(active.accrued) : null;
};

/** When each win's BET_SETTLED_CONFIRMED reached the wallet stream, by the bet's transaction id. */
function followWalletStream(redisUrl: string): { arrivals: Map<string, number>; stop(): void } {
  const reader = new Redis(redisUrl);
  const arrivals = new Map<string, number>();
  let running = true;
  void (async () => {
    let last = '$';
    while (running) {
      const answer = (await reader.xread('BLOCK', 1000, 'STREAMS', STREAMS.wallet, last)) as [string, [string, string[]][]][] | null;
      for (const [, entries] of answer ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          const event = JSON.parse(fields[1]!) as { event_type: string; payload: { transaction_id?: string } };
          if (event.event_type === 'BET_SETTLED_CONFIRMED' && event.payload.transaction_id) arrivals.set(event.payload.transaction_id, performance.now());
        }
      }
    }
  })().catch((error: unknown) => running && process.stderr.write(`stream reader: ${String(error)}\n`));
  return {
    arrivals,
    stop() {
      running = false;
      reader.disconnect();
    },
  };
}

try {
  const { staffLogin } = await graphql<{ staffLogin: { accessToken: string } }>(
    'mutation ($input: LoginInput!) { staffLogin(input: $input) { accessToken } }',
    { input: { username: 'admin', password: 'bench-admin-password' } },
  );
  const tracers = await players('bench_tracer', TRACERS, staffLogin.accessToken);
  const load = await players('bench_load', LOAD_PLAYERS, staffLogin.accessToken);
  // Every requirement exists before the run (the deposits' events have gone through rolling_worker).
  for (const player of [...tracers, ...load]) while ((await accruedOf(player)) === null) await sleep(20);

  let sequence = 0;
  const pair = async (player: Player) => {
    const id = `rb-${++sequence}`;
    await callback('bet', { account: player.account, transaction_id: `${id}-b`, round_id: `r-${id}`, amount: String(STAKE) });
    await callback('win', { account: player.account, transaction_id: `${id}-w`, round_id: `r-${id}`, amount: String(STAKE / 2), reference_transaction_id: `${id}-b`, round_closed: true });
    return `${id}-b`;
  };
  // Warm-up: JIT, pools, the brand configs cached by rolling_worker.
  await runCallers('warm-up', 8, 5, async (caller) => Boolean(await pair(load[caller % load.length]!)));

  // The withdrawal check, as the wallet asks it (a player with an active requirement: held).
  const rollingUrl = platform.services.find((s) => s.name === 'rolling')!.url;
  const serviceToken = await new TokenService({ secret: secrets.INTERNAL_JWT_SECRET }).signService('bench');
  const brandId = (decodeJwt(tracers[0]!.token) as { brand_id: string }).brand_id;
  const checkPlayers = [...tracers, ...load];
  const checkAgent = new Agent({ keepAlive: true, maxSockets: CHECK_CONCURRENCY });
  const withdrawalCheck = async (player: Player) => {
    const body = JSON.stringify({ brand: { id: brandId, code: 'acme', currency: 'KRW' }, player_id: player.id, approved_deposits: 1 });
    const response = await send(`${rollingUrl}/internal/rolling/withdrawal-check`, 'POST', { 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` }, body, checkAgent);
    return response.status === 200 && response.text.includes('"reason":"ACTIVE_REQUIREMENT"');
  };

  const stream = followWalletStream(redisUrl);
  const lags: number[] = [];
  const floors: number[] = [];
  let loadErrors = 0;
  let loadPairs = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const background = (async () => {
    // Open loop: pairs started at random (Poisson) times at LOAD_RATE callbacks/s, whatever is in flight.
    const pairsPerSecond = LOAD_RATE / 2;
    const inFlight: Promise<void>[] = [];
    let due = performance.now();
    while (due < deadline) {
      due += (-Math.log(1 - Math.random()) / pairsPerSecond) * 1000;
      await sleep(Math.max(0, due - performance.now()));
      const player = load[Math.floor(Math.random() * load.length)]!;
      inFlight.push(pair(player).then(() => void loadPairs++, () => void loadErrors++));
    }
    await Promise.all(inFlight);
  })();
  const checkLatencies: number[] = [];
  let checkErrors = 0;
  const checksUnderLoad = (async () => {
    const inFlight: Promise<void>[] = [];
    let due = performance.now();
    while (due < deadline) {
      due += (-Math.log(1 - Math.random()) / CHECK_RATE) * 1000;
      await sleep(Math.max(0, due - performance.now()));
      const sent = due;
      const player = checkPlayers[Math.floor(Math.random() * checkPlayers.length)]!;
      inFlight.push(withdrawalCheck(player).then((ok) => (ok ? void checkLatencies.push(performance.now() - sent) : void checkErrors++), () => void checkErrors++));
    }
    await Promise.all(inFlight);
  })();
  await Promise.all(
    tracers.map(async (tracer) => {
      let expected = (await accruedOf(tracer))!;
      while (performance.now() < deadline) {
        const bet = await pair(tracer);
        const answered = performance.now();
        expected += STAKE;
        for (;;) {
          const accrued = await accruedOf(tracer);
          if (accrued !== null && accrued >= expected) break;
          await sleep(POLL_MS);
        }
        lags.push(performance.now() - answered);
        const arrived = stream.arrivals.get(bet);
        if (arrived !== undefined) floors.push(Math.max(0, arrived - answered));
      }
    }),
  );
  await Promise.all([background, checksUnderLoad]);
  stream.stop();
  const underLoad = summarize(`under the bet load: ${CHECK_RATE} checks/s offered`, checkLatencies, checkErrors, SECONDS);

  const check = await runCallers('capacity: closed loop, withdrawal check', CHECK_CONCURRENCY, CHECK_SECONDS, async (caller) => withdrawalCheck(checkPlayers[caller % checkPlayers.length]!));
  checkAgent.destroy();
  const clients = await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, async () => {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-raw' });
    await client.connect();
    return client;
  }));
  const rawCheck = await runCallers('raw SQL: the same query', CHECK_CONCURRENCY, CHECK_SECONDS, async (caller) => {
    const player = checkPlayers[caller % checkPlayers.length]!;
    const { rows } = await clients[caller]!.query(
      `SELECT count(*)::int AS active, coalesce(sum(required - accrued), 0)::bigint AS remaining,
         (SELECT count(*)::int FROM rolling.processed_deposit WHERE brand_id = $1 AND player_id = $2) AS processed
       FROM rolling.rolling WHERE brand_id = $1 AND player_id = $2 AND status = 'ACTIVE' AND (expires_at IS NULL OR expires_at > now())`,
      [brandId, player.id],
    );
    return rows[0].active > 0;
  });
  await Promise.all(clients.map((client) => client.end()));

  const prisma = createPrismaClient({ databaseUrl, poolSize: 1 });
  const mismatches = await findLedgerMismatches(prisma);
  await prisma.$disconnect();

  const out = (line = '') => process.stdout.write(`${line}\n`);
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const lag = sorted(lags);
  const floor = sorted(floors);
  const row = (name: string, values: number[]) =>
    `| ${name} | ${values.length} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 95).toFixed(1)} | ${percentile(values, 99).toFixed(1)} | ${values.at(-1)?.toFixed(1)} |`;
  out(`\nbench:rolling — ${SECONDS} s, ${TRACERS} tracers polling every ${POLL_MS} ms, ${LOAD_RATE} background callbacks/s over ${LOAD_PLAYERS} players, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}\n`);
  out('| lag from the win callback\'s answer | samples | p50 ms | p95 ms | p99 ms | max ms |');
  out('|---|---:|---:|---:|---:|---:|');
  out(row('to the turnover in `me.rollings` (GraphQL, through the router)', lag));
  out(row('baseline: to BET_SETTLED_CONFIRMED on rgb:stream:wallet', floor));
  out(`\nbackground: ${loadPairs} bet+win pairs, ${loadErrors} failed\n`);
  const table = (results: LoadResult[]) => {
    out('| withdrawal check | checks/s | p50 ms | p99 ms | checks | errors |');
    out('|---|---:|---:|---:|---:|---:|');
    for (const r of results) out(`| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} |`);
  };
  table([underLoad, check, rawCheck]);
  out(`\ntargets: lag p99 < 500 ms: ${percentile(lag, 99) < 500 ? 'met' : 'MISSED'}; withdrawal check under load p99 < 50 ms: ${underLoad.p99 < 50 ? 'met' : 'MISSED'}`);
  out(`ledger: ${mismatches.length === 0 ? 'every balance equals its ledger' : `${mismatches.length} MISMATCHED accounts`}`);
  if (mismatches.length > 0 || loadErrors > 0 || checkErrors > 0 || check.errors > 0) process.exitCode = 1;
} finally {
  agent.destroy();
  await bench.stop();
}
