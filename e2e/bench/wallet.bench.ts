/**
 * npm run bench:wallet — the wallet's bet debit (`POST /internal/wallet/bets` on the wallet
 * subgraph, over HTTP, against the real platform processes) beside the same writes as one raw
 * SQL transaction (node-pg, and pgbench when installed), in one run on one machine, at several
 * numbers of concurrent callers; then the ledger must still equal the balances.
 *
 * A fourth target is a what-if, not the wallet's code: the same four statements in one PL/pgSQL
 * function (created in the throwaway bench database), one round trip per debit.
 *
 * Env: BENCH_CONCURRENCY (default "1,8,32"), BENCH_SECONDS (10 per target and level),
 * BENCH_PLAYERS (64), BENCH_DATABASE_POOL_SIZE (the services' DATABASE_POOL_SIZE; their default
 * when unset), PLATFORM_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { rawBet } from './raw-wallet';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { TokenService } from '@rgb/auth';
import { createPrismaClient } from '@rgb/db';
import { findLedgerMismatches } from '../../subgraphs/wallet/src/reconciliation';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { cpuMs, machineCpu, runCallers, summarize, type LoadResult } from './load';

const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 64);
const BET_MINOR = 100n;
const FUNDING_MINOR = 1_000_000_000_000n;
const PROVIDER = 'demo';
const execFileAsync = promisify(execFile);
const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * What-if, not what the wallet does: the same four statements in one PL/pgSQL call, so a debit
 * is one round trip (autocommit) instead of six. Created in the throwaway bench database only.
 */
const ONE_ROUND_TRIP_FUNCTION = `CREATE FUNCTION bench.place_bet(p_provider text, p_tx text, p_brand uuid, p_player uuid, p_amount bigint, p_round text, p_game text, p_category text, p_currency text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  claimed uuid;
  account record;
BEGIN
  INSERT INTO wallet.provider_transaction
    (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, reference_transaction_id, bet_status)
  VALUES (gen_random_uuid(), p_provider, p_tx, 'BET', p_brand, p_player, p_amount, p_round, p_game, p_category, NULL, 'OPEN')
  ON CONFLICT (provider_code, transaction_id) DO NOTHING
  RETURNING id INTO claimed;
  IF claimed IS NULL THEN RAISE EXCEPTION 'duplicate transaction id'; END IF;
  UPDATE wallet.wallet_account SET balance = balance - p_amount, updated_at = now()
  WHERE player_id = p_player AND brand_id = p_brand AND balance >= p_amount
  RETURNING id, balance, currency INTO account;
  IF NOT FOUND THEN RAISE EXCEPTION 'insufficient funds'; END IF;
  IF account.currency <> p_currency THEN RAISE EXCEPTION 'currency mismatch'; END IF;
  INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by, reason)
  VALUES (gen_random_uuid(), account.id, p_brand, p_player, 'BET', -p_amount, account.balance,
          p_provider || ':' || p_round, 'bet:' || p_provider || ':' || p_tx, 'provider:' || p_provider, NULL);
  UPDATE wallet.provider_transaction SET balance_after = account.balance WHERE id = claimed;
  RETURN account.balance;
END $$`;

interface Row {
  callers: number;
  target: string;
  result: LoadResult;
  /** CPU ms per debit of the wallet process and of the load generator (this process). */
  walletCpu: number;
  benchCpu: number;
  /** How busy the machine's CPUs were during the run, in % (everything on it, not only this benchmark). */
  machineBusy: number;
}

async function pgbenchPath(): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('sh', ['-c', 'command -v pgbench']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

const poolSize = process.env.BENCH_DATABASE_POOL_SIZE;
log('bench:wallet — booting the platform...');
const bench = await startBenchPlatform(poolSize ? { DATABASE_POOL_SIZE: poolSize } : {});
const { platform, secrets, databaseUrl } = bench;

const rows: Row[] = [];
const scriptDir = await mkdtemp(path.join(os.tmpdir(), 'bench-wallet-'));
let committed = 0; // every debit that answered success, warm-ups included: the ledger must hold exactly these
try {
  const wallet = platform.services.find((service) => service.name === 'wallet')!;
  const walletUrl = wallet.url;
  const serviceTokens = new TokenService({ secret: secrets.INTERNAL_JWT_SECRET });
  let serviceToken = await serviceTokens.signService('game');
  const refresh = setInterval(async () => (serviceToken = await serviceTokens.signService('game')), 60_000).unref();

  // Players registered through the router as a client would, then funded through the wallet's internal API.
  const graphqlUrl = `${platform.routerUrl}/graphql`;
  const players: string[] = [];
  let brandId = '';
  for (let start = 0; start < PLAYERS; start += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, PLAYERS - start) }, async (_, offset) => {
        const username = `bench_wallet_${start + offset}`;
        const registered = await send(graphqlUrl, 'POST', { host: 'localhost', 'content-type': 'application/json' }, JSON.stringify({
          query: 'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
          variables: { input: { username, password: 'bench-password', nickname: username } },
        }));
        const token = JSON.parse(registered.text).data?.registerPlayer?.accessToken as string | undefined;
        if (!token) throw new Error(`register ${username}: ${registered.text}`);
        const claims = decodeJwt(token) as { sub: string; brand_id: string };
        players[start + offset] = claims.sub;
        brandId = claims.brand_id;
      }),
    );
  }
  const brand = { id: brandId, code: 'demo', currency: 'USD' };
  const internalHeaders = () => ({ 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` });
  for (const [index, playerId] of players.entries()) {
    const funded = await send(`${walletUrl}/internal/wallet/adjustments`, 'POST', internalHeaders(), JSON.stringify({
      brand,
      player_id: playerId,
      key: `bench-funding-${index}`,
      reference: 'bench:wallet funding',
      caused_by: 'bench',
      reason: 'bench:wallet funding',
      amount_minor: FUNDING_MINOR.toString(),
    }));
    if (funded.status !== 200) throw new Error(`funding ${playerId}: ${funded.status} ${funded.text}`);
  }
  log(`registered and funded ${players.length} players on brand demo (USD); each bet debits ${BET_MINOR} minor units`);

  let sequence = 0;
  const randomPlayer = () => players[Math.floor(Math.random() * players.length)]!;

  /** The wallet over HTTP: one keep-alive socket per caller, straight to the subgraph. */
  const walletRun = async (callers: number, seconds: number, label: string): Promise<LoadResult> => {
    const agent = new Agent({ keepAlive: true, maxSockets: callers });
    try {
      return await runCallers(label, callers, seconds, async () => {
        const id = `w-${++sequence}`;
        const response = await send(`${walletUrl}/internal/wallet/bets`, 'POST', internalHeaders(), JSON.stringify({
          brand,
          player_id: randomPlayer(),
          provider_code: PROVIDER,
          transaction_id: id,
          round_id: `round-${id}`,
          game_code: 'demo-slot',
          game_category: 'slots',
          amount_minor: BET_MINOR.toString(),
        }), agent);
        const ok = response.status === 200 && response.text.includes('"duplicate":false');
        if (ok) committed++;
        return ok;
      });
    } finally {
      agent.destroy();
    }
  };

  /** `callers` dedicated connections (as pgbench has), closed after the run. */
  const withConnections = async (callers: number, use: (clients: pg.Client[]) => Promise<LoadResult>): Promise<LoadResult> => {
    const clients = await Promise.all(
      Array.from({ length: callers }, async () => {
        const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-raw' });
        await client.connect();
        return client;
      }),
    );
    try {
      return await use(clients);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  };

  /** The same writes as one SQL transaction per debit (node-pg, statements prepared per connection, as the services' Prisma clients prepare theirs). */
  const rawRun = (callers: number, seconds: number, label: string): Promise<LoadResult> =>
    withConnections(callers, (clients) =>
      runCallers(label, callers, seconds, async (caller) => {
        const client = clients[caller]!;
        const id = `raw-${++sequence}`;
        await rawBet(client, { provider: PROVIDER, brand, playerId: randomPlayer(), transactionId: id, roundId: `round-${id}`, amountMinor: BET_MINOR });
        committed++;
        return true;
      }),
    );

  /** What-if: the same statements as one PL/pgSQL call, one round trip per debit. */
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query('CREATE SCHEMA bench');
  await setup.query(ONE_ROUND_TRIP_FUNCTION);
  await setup.end();
  const oneRoundTripRun = (callers: number, seconds: number, label: string): Promise<LoadResult> =>
    withConnections(callers, (clients) =>
      runCallers(label, callers, seconds, async (caller) => {
        const id = `one-${++sequence}`;
        await clients[caller]!.query('SELECT bench.place_bet($1, $2, $3::uuid, $4::uuid, $5::bigint, $6, $7, $8, $9)', [
          PROVIDER, id, brand.id, randomPlayer(), BET_MINOR.toString(), `round-${id}`, 'demo-slot', 'slots', brand.currency,
        ]);
        committed++;
        return true;
      }),
    );

  /** The same transaction in pgbench (C client, -M prepared), one weighted script per player so each transaction picks a random player. */
  const pgbench = await pgbenchPath();
  const scripts: string[] = [];
  // pgbench reads every `:name` in a script as a variable, inside string literals too: write ':' as \x3a there.
  const colonFree = (text: string) => `E'${text.replaceAll(':', '\\x3a')}'`;
  if (pgbench) {
    for (const [index, playerId] of players.entries()) {
      const file = path.join(scriptDir, `player${index}.sql`);
      await writeFile(file, `\\set t random(1, 9000000000000000000)
BEGIN;
INSERT INTO wallet.provider_transaction
  (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, reference_transaction_id, bet_status)
VALUES (gen_random_uuid(), '${PROVIDER}', 'pgb-' || :t::text, 'BET'::wallet."ProviderTransactionKind", '${brand.id}'::uuid, '${playerId}'::uuid, ${BET_MINOR}::bigint,
  'round-pgb-' || :t::text, 'demo-slot', 'slots', NULL, 'OPEN'::wallet."BetStatus")
ON CONFLICT (provider_code, transaction_id) DO NOTHING
RETURNING id AS pt_id \\gset
UPDATE wallet.wallet_account SET balance = balance - ${BET_MINOR}::bigint, updated_at = now()
WHERE player_id = '${playerId}'::uuid AND brand_id = '${brand.id}'::uuid AND balance >= ${BET_MINOR}::bigint
RETURNING id AS account_id, balance AS balance_after, currency \\gset
INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by, reason)
VALUES (gen_random_uuid(), :account_id::uuid, '${brand.id}'::uuid, '${playerId}'::uuid, 'BET'::wallet."LedgerKind", ${-BET_MINOR}::bigint, :balance_after::bigint,
  ${colonFree(`${PROVIDER}:round-pgb-`)} || :t::text, ${colonFree(`bet:${PROVIDER}:pgb-`)} || :t::text, ${colonFree(`provider:${PROVIDER}`)}, NULL)
RETURNING id;
UPDATE wallet.provider_transaction SET balance_after = :balance_after::bigint WHERE id = :pt_id::uuid;
COMMIT;
`);
      scripts.push('-f', `${file}@1`);
    }
  }
  let pgbenchRuns = 0;
  const pgbenchRun = async (callers: number, seconds: number, label: string): Promise<LoadResult> => {
    const prefix = path.join(scriptDir, `log${++pgbenchRuns}`);
    const args = ['-n', '-M', 'prepared', '-c', String(callers), '-j', String(Math.min(callers, os.cpus().length)), '-T', String(seconds), '-l', `--log-prefix=${prefix}`, ...scripts, databaseUrl];
    const { stdout } = await execFileAsync(pgbench!, args, { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stderr?: string; stdout?: string }) => {
      throw new Error(`pgbench failed: ${error.stderr ?? ''}${error.stdout ?? ''}`);
    });
    const latencies: number[] = [];
    for (const file of (await readdir(scriptDir)).filter((name) => name.startsWith(`${path.basename(prefix)}.`))) {
      for (const line of (await readFile(path.join(scriptDir, file), 'utf8')).split('\n')) {
        const fields = line.split(' ');
        if (fields.length >= 6) latencies.push(Number(fields[2]) / 1000);
      }
    }
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    committed += latencies.length;
    const result = summarize(label, latencies, failed, seconds);
    return { ...result, perSecond: Number.isFinite(tps) ? tps : result.perSecond };
  };

  /** One run of `run`, with the CPU the wallet process and this process spent per successful debit. */
  const measured = async (callers: number, target: string, run: () => Promise<LoadResult>): Promise<Row> => {
    const [walletBefore, benchBefore, machineBefore] = [await cpuMs(wallet.process.pid!), await cpuMs(process.pid, true), await machineCpu()];
    const result = await run();
    const [walletAfter, benchAfter, machineAfter] = [await cpuMs(wallet.process.pid!), await cpuMs(process.pid, true), await machineCpu()];
    const perDebit = (ms: number) => (result.requests > 0 ? ms / result.requests : NaN);
    const row = {
      callers,
      target,
      result,
      walletCpu: perDebit(walletAfter - walletBefore),
      benchCpu: perDebit(benchAfter - benchBefore),
      machineBusy: (100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total),
    };
    log(`  ${callers} callers, ${target}: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.errors} errors`);
    return row;
  };

  // Warm-up: JIT, the wallet's connection pool and token cache, PostgreSQL's caches.
  await walletRun(8, 3, 'warm-up');
  await rawRun(8, 2, 'warm-up');

  const WALLET = 'wallet: POST /internal/wallet/bets (HTTP → one statement)';
  const RAW = 'raw SQL tx (node-pg, same statements)';
  const PGBENCH = 'raw SQL tx (pgbench -M prepared, same statements)';
  const ONE = 'what-if: same statements in one PL/pgSQL call (node-pg, 1 round trip)';
  for (const callers of LEVELS) {
    rows.push(await measured(callers, WALLET, () => walletRun(callers, SECONDS, WALLET)));
    rows.push(await measured(callers, RAW, () => rawRun(callers, SECONDS, RAW)));
    if (pgbench) rows.push(await measured(callers, PGBENCH, () => pgbenchRun(callers, SECONDS, PGBENCH)));
    rows.push(await measured(callers, ONE, () => oneRoundTripRun(callers, SECONDS, ONE)));
  }
  clearInterval(refresh);

  // The books afterwards: every account equals its ledger, and the ledger holds exactly the debits that answered success.
  const prisma = createPrismaClient({ databaseUrl, poolSize: 1, applicationName: 'bench-reconcile' });
  let mismatches: Awaited<ReturnType<typeof findLedgerMismatches>>;
  let bets: { entries: bigint; total: bigint; open: bigint }[];
  try {
    mismatches = await findLedgerMismatches(prisma);
    bets = await prisma.$queryRawUnsafe(
      `SELECT (SELECT count(*) FROM wallet.ledger_entry WHERE kind = 'BET') AS entries,
              (SELECT coalesce(sum(amount), 0)::bigint FROM wallet.ledger_entry WHERE kind = 'BET') AS total,
              (SELECT count(*) FROM wallet.provider_transaction WHERE kind = 'BET' AND balance_after IS NULL) AS open`,
    );
  } finally {
    await prisma.$disconnect();
  }
  const { entries, total, open } = bets[0]!;

  log(`\nbench:wallet — ${SECONDS} s per target and level, ${PLAYERS} players, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, services' DATABASE_POOL_SIZE ${poolSize ?? 'default (10)'}\n`);
  log('| callers | target | debits/s | p50 ms | p99 ms | debits | errors | wallet process CPU ms/debit | load generator CPU ms/debit | machine CPU busy |');
  log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { callers, target, result, walletCpu, benchCpu, machineBusy } of rows) {
    log(
      `| ${callers} | ${target} | ${result.perSecond.toFixed(0)} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} | ${result.requests} | ${result.errors} ` +
        `| ${walletCpu.toFixed(2)} | ${benchCpu.toFixed(2)} | ${machineBusy.toFixed(0)} % |`,
    );
  }
  log('\n| callers | wallet / raw SQL (node-pg) | wallet / pgbench |');
  log('|---:|---:|---:|');
  const rate = (callers: number, target: string) => rows.find((row) => row.callers === callers && row.target === target)?.result.perSecond ?? NaN;
  for (const callers of LEVELS) {
    const walletRate = rate(callers, WALLET);
    log(`| ${callers} | ${(walletRate / rate(callers, RAW)).toFixed(2)} | ${pgbench ? (walletRate / rate(callers, PGBENCH)).toFixed(2) : 'n/a'} |`);
  }
  const top = Math.max(...LEVELS);
  const ratio = rate(top, WALLET) / rate(top, RAW);
  log(`\ntarget: wallet ≥ 0.50 × raw SQL (node-pg) at ${top} callers — ${ratio >= 0.5 ? 'met' : 'MISSED'} (${ratio.toFixed(2)})`);

  const booksAgree = mismatches.length === 0 && entries === BigInt(committed) && total === -BigInt(committed) * BET_MINOR && open === 0n;
  log(
    `ledger check: ${mismatches.length} account(s) whose balance differs from the ledger; ${entries} BET entries for ${committed} successful debits ` +
      `(sum ${total}); ${open} bets without balance_after — ${booksAgree ? 'the books agree' : 'MISMATCH'}`,
  );
  if (!booksAgree) {
    log(JSON.stringify(mismatches.slice(0, 10), null, 2));
    process.exitCode = 1;
  }
} finally {
  await rm(scriptDir, { recursive: true, force: true });
  await bench.stop();
}
