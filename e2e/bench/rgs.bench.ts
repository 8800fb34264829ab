/**
 * npm run bench:rgs — bets at the remote gaming server end to end (client → RGS → router → game →
 * wallet and back, the debit and the win each a signed callback), as 8 and 32 concurrent players
 * would place them, beside the same two callbacks sent straight to the router (bench:callbacks'
 * calls, as provider `rgs`) by as many callers, in the same run: the RGS's own cost is the difference.
 *
 * Each caller is one player with a session of its own (a player's bets take turns at the RGS: they
 * lock the player's row), betting 1.00 on a pick, with no pause. The direct callers send what the
 * RGS sends for a bet: a `bet` of 1.00, then the `win` closing the round (5.94 one time in six, else
 * 0.00). Each level also reports the CPU spent per bet, from /proc: the whole machine, and the rgs,
 * router, game and wallet processes.
 *
 * Env: BENCH_CONCURRENCY ("8,32"), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (10).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import os from 'node:os';
import { createPrismaClient } from '@rgb/db';
import { findLedgerMismatches } from '../../subgraphs/wallet/src/reconciliation';
import { send } from '../support/http';
import { type BenchPlayer, fundedBenchPlayers, startBenchPlatform } from './bench-platform';
import { cpuMs, machineCpu, runCallers, type LoadResult } from './load';

const LEVELS = (process.env.BENCH_CONCURRENCY ?? '8,32').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const PROFILED = ['rgs', 'router', 'game', 'wallet'] as const;

const bench = await startBenchPlatform({
  // As the router's: the limiter runs on every request but never refuses the benchmark.
  RGS_RATE_LIMIT_PER_MINUTE: '100000000',
  RGS_RATE_LIMIT_BURST: '100000',
});
const { platform, databaseUrl } = bench;
const { RGS_OPERATOR_KEY: OPERATOR_KEY, PROVIDER_RGS_SECRET: PROVIDER_SECRET } = bench.secrets;
const pids = Object.fromEntries(PROFILED.map((name) => [name, platform.services.find((s) => s.name === name)!.process.pid!]));

interface CpuPerBet {
  /** Busy CPU of the whole machine (every process, PostgreSQL and this one included), ms per bet. */
  machine: number;
  process: Record<(typeof PROFILED)[number], number>;
}

/** A run of `run`, with the CPU it cost per bet (a bet: one RGS request, or one direct bet + win pair). */
async function measured(run: () => Promise<LoadResult>): Promise<{ result: LoadResult; cpu: CpuPerBet }> {
  const snapshot = async () => ({ machine: await machineCpu(), process: await Promise.all(PROFILED.map((name) => cpuMs(pids[name]!))) });
  const before = await snapshot();
  const result = await run();
  const after = await snapshot();
  const per = (ms: number) => ms / Math.max(1, result.requests);
  return {
    result,
    cpu: {
      machine: per((after.machine.busy - before.machine.busy) * 10), // jiffies of every CPU; USER_HZ is 100 on Linux
      process: Object.fromEntries(PROFILED.map((name, index) => [name, per(after.process[index]! - before.process[index]!)])) as CpuPerBet['process'],
    },
  };
}

try {
  const { players } = await fundedBenchPlayers(bench, 'bench_rgs', Math.max(...LEVELS) * 2);
  const rgsUrl = platform.services.find((s) => s.name === 'rgs')!.url;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const json = { 'content-type': 'application/json' };
  const operatorHeaders = { ...json, 'x-operator-key': OPERATOR_KEY };

  // Half the players bet at the RGS, the other half are the direct callers' accounts.
  const rgsPlayers = players.slice(0, players.length / 2);
  const directPlayers = players.slice(players.length / 2);
  const sessions: string[] = [];
  for (const player of rgsPlayers) {
    const launched = await send(`${rgsUrl}/sessions/launch`, 'POST', operatorHeaders, JSON.stringify({ player_id: player.account, currency: 'USD', game_code: 'rgs-dice' }), agent);
    if (launched.status !== 200) throw new Error(`launch: ${launched.status} ${launched.text}`);
    sessions.push(JSON.parse(launched.text).session_token);
  }

  const answered = { settled: 0, pending: 0 };
  /** One bet at the RGS by caller `caller`'s player; its latency, request to answer. */
  const rgsBet = async (caller: number): Promise<number[]> => {
    const begin = performance.now();
    const response = await send(
      `${rgsUrl}/bets`,
      'POST',
      { ...operatorHeaders, 'idempotency-key': randomUUID() },
      JSON.stringify({ session_token: sessions[caller], amount: '1.00', pick: (caller % 6) + 1 }),
      agent,
    );
    const elapsed = performance.now() - begin;
    if (response.status !== 200) throw new Error(`bet: ${response.status} ${response.text}`);
    answered[JSON.parse(response.text).status === 'SETTLED' ? 'settled' : 'pending']++;
    return [elapsed];
  };

  let sequence = 0;
  /** A signed callback as provider rgs, straight to the router. */
  const callback = async (action: 'bet' | 'win', body: Record<string, unknown>): Promise<void> => {
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'USD', game_code: 'rgs-dice', ...body });
    const response = await send(`${platform.routerUrl}/callbacks/rgs/${action}`, 'POST', { ...json, 'x-signature': createHmac('sha256', PROVIDER_SECRET).update(raw).digest('hex') }, raw, agent);
    if (response.status !== 200 || !response.text.includes('"status":"OK"')) throw new Error(`${action}: ${response.status} ${response.text}`);
  };
  /** What the RGS sends for one bet, sent directly: the debit, then the win closing the round; the pair's latency. */
  const directPair = async (caller: number): Promise<number[]> => {
    const player: BenchPlayer = directPlayers[caller]!;
    const id = `direct-${++sequence}-${randomUUID()}`;
    const round = { account: player.account, round_id: `r-${id}` };
    const begin = performance.now();
    await callback('bet', { ...round, transaction_id: id, amount: '1.00' });
    await callback('win', { ...round, transaction_id: `${id}:win`, amount: Math.random() < 1 / 6 ? '5.94' : '0.00', reference_transaction_id: id, round_closed: true });
    return [performance.now() - begin];
  };

  // Steady state before measuring: JIT, every pool's connections and their prepared statements.
  const top = Math.max(...LEVELS);
  await runCallers('warm-up at the RGS', top, WARMUP_SECONDS, rgsBet);
  await runCallers('warm-up direct', top, WARMUP_SECONDS, directPair);

  const rows: { callers: number; rgs: { result: LoadResult; cpu: CpuPerBet }; direct: { result: LoadResult; cpu: CpuPerBet } }[] = [];
  for (const callers of LEVELS) {
    const rgs = await measured(() => runCallers('bets at the RGS (client → RGS → router → game → wallet, debit + win)', callers, SECONDS, rgsBet));
    const direct = await measured(() => runCallers('the same bet + win callbacks straight to the router', callers, SECONDS, directPair));
    rows.push({ callers, rgs, direct });
  }
  agent.destroy();

  const prisma = createPrismaClient({ databaseUrl, poolSize: 1 });
  const mismatches = await findLedgerMismatches(prisma);
  const open = await prisma.rgsSettlementOutbox.count({ where: { completedAt: null } });
  await prisma.$disconnect();

  const out = (line = '') => process.stdout.write(`${line}\n`);
  const [load1, load5] = os.loadavg();
  out(`\nbench:rgs — ${SECONDS} s per level, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, load average ${load1!.toFixed(2)} (1 min) ${load5!.toFixed(2)} (5 min) at the end\n`);
  out('| concurrent | target | bets/s | p50 ms | p99 ms | bets | errors | machine CPU ms per bet | rgs | router | game | wallet |');
  out('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { callers, rgs, direct } of rows) {
    for (const { result: r, cpu } of [rgs, direct]) {
      out(`| ${callers} | ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} | ${cpu.machine.toFixed(2)} | ${PROFILED.map((name) => cpu.process[name].toFixed(2)).join(' | ')} |`);
    }
  }
  out('\n| concurrent | RGS / direct throughput | RGS overhead at p50 | at p99 |');
  out('|---:|---:|---:|---:|');
  for (const { callers, rgs, direct } of rows) {
    out(`| ${callers} | ${(rgs.result.perSecond / direct.result.perSecond).toFixed(2)} | ${(rgs.result.p50 - direct.result.p50).toFixed(2)} ms | ${(rgs.result.p99 - direct.result.p99).toFixed(2)} ms |`);
  }
  out(`\nbets answered SETTLED: ${answered.settled}, PENDING_SETTLEMENT: ${answered.pending}; settlements still open: ${open}; books: ${mismatches.length} account(s) whose balance differs from the ledger`);
} finally {
  await bench.stop();
}
