/**
 * npm run bench:callbacks — bet+win pairs through the router's provider callback API, as 8 and
 * 32 concurrent providers would send them (signed, each a fresh transaction), beside the same
 * wallet writes as hand-written SQL transactions (raw-wallet.ts) in the same run.
 * Targets: p99 under 50 ms at 32 concurrent, at least a third of the raw SQL throughput.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import os from 'node:os';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { TokenService } from '@rgb/auth';
import { createPrismaClient } from '@rgb/db';
import { findLedgerMismatches } from '../../subgraphs/wallet/src/reconciliation';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { summarize, type LoadResult } from './load';
import { rawBet, rawWin } from './raw-wallet';

const LEVELS = (process.env.BENCH_CONCURRENCY ?? '8,32').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 64);
/** Closed loop of bet+win pairs: `pair` sends both and returns each callback's latency, or throws. */
async function runPairs(name: string, callers: number, pair: (caller: number) => Promise<number[]>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < deadline) {
        try {
          latencies.push(...(await pair(caller)));
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(name, latencies, errors, (performance.now() - started) / 1000);
}

const bench = await startBenchPlatform();
const { platform, secrets, databaseUrl } = bench;
const PROVIDER_SECRET = secrets.PROVIDER_DEMO_SECRET;

try {
  const graphqlUrl = `${platform.routerUrl}/graphql`;
  const walletUrl = platform.services.find((s) => s.name === 'wallet')!.url;
  const serviceToken = await new TokenService({ secret: secrets.INTERNAL_JWT_SECRET }).signService('bench');
  const players: { id: string; account: string }[] = [];
  let brandId = '';
  for (let index = 0; index < PLAYERS; index++) {
    const username = `bench_cb_${index}`;
    const registered = await send(graphqlUrl, 'POST', { host: 'localhost', 'content-type': 'application/json' }, JSON.stringify({
      query: 'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
      variables: { input: { username, password: 'bench-password', nickname: username } },
    }));
    const claims = decodeJwt(JSON.parse(registered.text).data.registerPlayer.accessToken) as { sub: string; brand_id: string };
    brandId = claims.brand_id;
    players.push({ id: claims.sub, account: `demo_${username}` });
    const funded = await send(`${walletUrl}/internal/wallet/adjustments`, 'POST', { 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` }, JSON.stringify({
      brand: { id: brandId, code: 'demo', currency: 'USD' },
      player_id: claims.sub,
      key: `bench-cb-funding-${index}`,
      reference: 'bench:callbacks funding',
      caused_by: 'bench',
      reason: 'bench:callbacks funding',
      amount_minor: '100000000000',
    }));
    if (funded.status !== 200) throw new Error(`funding: ${funded.status} ${funded.text}`);
  }
  const brand = { id: brandId, currency: 'USD' };
  const randomPlayer = () => players[Math.floor(Math.random() * players.length)]!;

  const callbackAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  const callback = async (action: 'balance' | 'bet' | 'win', body: Record<string, unknown>): Promise<number> => {
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', ...body });
    const begin = performance.now();
    const response = await send(`${platform.routerUrl}/callbacks/demo/${action}`, 'POST', {
      'content-type': 'application/json',
      'x-signature': createHmac('sha256', PROVIDER_SECRET).update(raw).digest('hex'),
    }, raw, callbackAgent);
    const elapsed = performance.now() - begin;
    if (response.status !== 200 || !response.text.includes('"status":"OK"')) throw new Error(`${action}: ${response.status} ${response.text}`);
    return elapsed;
  };
  // Warm-up: every provider account is resolved once (then remembered), JIT and pools warm.
  for (const player of players) await callback('balance', { account: player.account });

  let sequence = 0;
  let pairsOk = 0;
  const platformPair = async () => {
    const player = randomPlayer();
    const id = `cb-${++sequence}`;
    const round = { round_id: `r-${id}`, game_code: 'demo-slot' };
    const bet = await callback('bet', { account: player.account, transaction_id: `${id}-b`, amount: '1.00', ...round });
    const win = await callback('win', { account: player.account, transaction_id: `${id}-w`, amount: '0.50', reference_transaction_id: `${id}-b`, round_closed: true, ...round });
    pairsOk++;
    return [bet, win];
  };

  const rawPair = (clients: pg.Client[]) => async (caller: number) => {
    const client = clients[caller]!;
    const player = randomPlayer();
    const id = `raw-${++sequence}`;
    const call = { provider: 'demo', brand, playerId: player.id, roundId: `r-${id}`, amountMinor: 100n };
    let begin = performance.now();
    await rawBet(client, { ...call, transactionId: `${id}-b` });
    const bet = performance.now() - begin;
    begin = performance.now();
    await rawWin(client, { ...call, transactionId: `${id}-w`, amountMinor: 50n, betTransactionId: `${id}-b` });
    return [bet, performance.now() - begin];
  };

  const rows: { callers: number; platform: LoadResult; raw: LoadResult }[] = [];
  for (const callers of LEVELS) {
    const through = await runPairs('callbacks through the router (bet + win)', callers, platformPair);
    const clients = await Promise.all(Array.from({ length: callers }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-raw' });
      await client.connect();
      return client;
    }));
    const raw = await runPairs('raw SQL transactions (bet + win)', callers, rawPair(clients));
    await Promise.all(clients.map((client) => client.end()));
    rows.push({ callers, platform: through, raw });
  }
  callbackAgent.destroy();

  const prisma = createPrismaClient({ databaseUrl, poolSize: 1 });
  const mismatches = await findLedgerMismatches(prisma);
  await prisma.$disconnect();

  process.stdout.write(`\nbench:callbacks — ${SECONDS} s per level, ${PLAYERS} players, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}\n\n`);
  process.stdout.write('| concurrent | target | callbacks/s | p50 ms | p99 ms | callbacks | errors |\n|---:|---|---:|---:|---:|---:|---:|\n');
  for (const { callers, platform: p, raw } of rows) {
    for (const r of [p, raw]) process.stdout.write(`| ${callers} | ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} |\n`);
  }
  process.stdout.write('\n| concurrent | router / raw SQL throughput | p99 through the router |\n|---:|---:|---:|\n');
  for (const { callers, platform: p, raw } of rows) process.stdout.write(`| ${callers} | ${(p.perSecond / raw.perSecond).toFixed(2)} | ${p.p99.toFixed(2)} ms |\n`);
  const top = rows.find((row) => row.callers === 32);
  if (top) {
    process.stdout.write(`\ntargets at 32 concurrent: p99 < 50 ms — ${top.platform.p99 < 50 ? 'met' : 'MISSED'} (${top.platform.p99.toFixed(2)} ms); ≥ 1/3 of raw SQL — ${top.platform.perSecond / top.raw.perSecond >= 1 / 3 ? 'met' : 'MISSED'} (${(top.platform.perSecond / top.raw.perSecond).toFixed(2)})\n`);
  }
  process.stdout.write(`books: ${mismatches.length} account(s) whose balance differs from the ledger; ${pairsOk} bet+win pairs answered OK through the router\n`);

} finally {
  await bench.stop();
}
