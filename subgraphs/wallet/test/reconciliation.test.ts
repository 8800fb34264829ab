/**
 * The hourly check of wallet_worker: every balance is the sum of its ledger. A balance changed
 * behind the ledger's back is found, named, and turns the worker unhealthy.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, Metrics, type Worker, type WorkerDeps } from '@rgb/kit';
import { type SeededTestSubgraph, waitFor } from '@rgb/kit/testing';
import { findLedgerMismatches, lastRunMismatches, type LedgerMismatch, LedgerMismatchError } from '../src/reconciliation';
import { RECONCILIATION_JOB, walletWorker } from '../src/worker';
import { brandBody, expectBooks, fund, providerBody, serviceClient, type ServiceClient, startWallet } from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
const workers: Worker[] = [];
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server);
});
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
});
afterAll(() => server?.close());

/** The worker's reconciliation job, built as wallet_worker builds it, on a metrics registry of its own. */
function reconciliationJob() {
  const metrics = new Metrics('wallet_worker');
  const deps = { ...server.deps, metrics, config: { ...server.deps.config, ENABLE_OUTBOX_POLLER: false } } as unknown as WorkerDeps;
  const jobs = walletWorker.jobs!(deps);
  const job = jobs.find((candidate) => candidate.name === RECONCILIATION_JOB);
  if (!job) throw new Error(`wallet_worker has no reconciliation job: ${jobs.map((j) => j.name).join(', ')}`);
  return { job, metrics, deps };
}

/** A replica of wallet_worker running only that job, once it has read a run's outcome from the job's shared state. */
async function replica(): Promise<{ worker: Worker; metrics: Metrics }> {
  const { job, metrics, deps } = reconciliationJob();
  const worker = createWorker({ name: 'wallet_worker', log: deps.log, metrics, loops: [], jobs: [job], prisma: deps.prisma, jobPollMs: 50 });
  workers.push(worker);
  worker.start();
  await waitFor('a run recorded', async () => {
    const [state] = (await worker.app.inject({ method: 'GET', url: '/health' })).json().jobs as { lastSuccessAt: string | null; lastErrorAt: string | null }[];
    return Boolean(state?.lastSuccessAt ?? state?.lastErrorAt);
  });
  return { worker, metrics };
}

/**
 * A replica after its first run of the job. The job's row is removed first: an earlier test ran
 * it this hour, and a job runs once per window.
 */
async function workerAfterOneRun(): Promise<{ worker: Worker; metrics: Metrics }> {
  await server.deps.prisma.scheduledJob.deleteMany({ where: { name: RECONCILIATION_JOB } });
  return replica();
}

/** `promise`'s value, or a rejection once `ms` passed without it. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

/** A run called by hand, as the scheduler would for this hour's window. */
const aRun = { windowStart: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000), attempt: 1, signal: new AbortController().signal };

const gauge = async (metrics: Metrics) => (await metrics.registry.getSingleMetric('wallet_ledger_mismatches')!.get()).values[0]?.value;

describe('ledger reconciliation', () => {
  it('finds nothing when every balance came from the ledger; the job succeeds and the worker is healthy', async () => {
    const player = randomUUID();
    await fund(call, server.brands.demo, player, 10_000n);
    await call('bets', providerBody({ brand: server.brands.demo, player, tx: 'rec-bet', amount: 2_500n }));
    await expectBooks(server, { [player]: 7_500n });

    const { worker, metrics } = await workerAfterOneRun();
    expect(worker.problems()).toEqual([]);
    expect(await gauge(metrics)).toBe(0);
    const health = await worker.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    await expectBooks(server, { [player]: 7_500n });
  });

  it('finds a balance changed behind the ledger, names it, and the worker job fails loudly', async () => {
    const [honest, tampered] = [randomUUID(), randomUUID()];
    await fund(call, server.brands.demo, honest, 1_000n);
    await fund(call, server.brands.acme, tampered, 50_000n);
    await expectBooks(server, { [honest]: 1_000n, [tampered]: 50_000n });
    const account = await server.deps.prisma.walletAccount.findUniqueOrThrow({ where: { playerId: tampered } });

    await server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance + 1 WHERE player_id = $1::uuid`, tampered);

    expect(await findLedgerMismatches(server.deps.prisma)).toEqual([
      { accountId: account.id, playerId: tampered, agentId: null, brandId: server.brands.acme.id, balance: '50001', ledgerTotal: '50000' },
    ]);

    const { job } = reconciliationJob();
    const failure = await job.run(aRun).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LedgerMismatchError);
    expect((failure as LedgerMismatchError).message).toContain(account.id);

    const { worker, metrics } = await workerAfterOneRun();
    const problems = worker.problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^wallet\.ledger_reconciliation: last run failed: 1 account\(s\)/);
    expect(problems[0]).toContain(`${account.id} balance 50001 ledger 50000`);
    expect(await gauge(metrics)).toBe(1);
    // Another replica, which did not run the job (or restarted since), reports the same result.
    const other = await replica();
    expect(await gauge(other.metrics)).toBe(1);
    // A scrape asks the database nothing: it answers while the job's table is locked.
    await server.deps.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('LOCK TABLE platform.scheduled_job IN ACCESS EXCLUSIVE MODE');
      expect(await within(gauge(other.metrics), 1_000)).toBe(1);
    });
    const health = await worker.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().reason).toContain(account.id);

    // Put back, the books agree again.
    await server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance - 1 WHERE player_id = $1::uuid`, tampered);
    await expectBooks(server, { [honest]: 1_000n, [tampered]: 50_000n });
    await reconciliationJob().job.run(aRun);

    // A clean run, here on a third replica, clears the gauge of every replica at its next poll.
    const clean = await workerAfterOneRun();
    expect(clean.worker.problems()).toEqual([]);
    expect(await gauge(clean.metrics)).toBe(0);
    for (const replicaMetrics of [metrics, other.metrics]) await waitFor('the clean run reported', async () => (await gauge(replicaMetrics)) === 0);
  });

  it("reports the mismatches its failed run's recorded error counts, past the five it lists; none unknown after a failure of another kind", () => {
    const mismatch = (i: number): LedgerMismatch => ({ accountId: `account-${i}`, playerId: null, agentId: null, brandId: 'brand', balance: '1', ledgerTotal: '0' });
    const failedWith = (lastError: string) => ({ failing: true, lastError, lastErrorAt: new Date(), lastSuccessAt: new Date(0) });
    const seven = new LedgerMismatchError([1, 2, 3, 4, 5, 6, 7].map(mismatch));
    expect(seven.message).not.toContain('account-6');
    expect(lastRunMismatches(failedWith(seven.message))).toBe(7);
    expect(lastRunMismatches(failedWith('Connection terminated unexpectedly'))).toBeNull();
    expect(lastRunMismatches({ failing: false, lastError: seven.message, lastErrorAt: new Date(0), lastSuccessAt: new Date() })).toBe(0);
    expect(lastRunMismatches({ failing: false, lastError: null, lastErrorAt: null, lastSuccessAt: null })).toBeNull();
  });

  it("finds an agent's account changed behind the ledger, named by its agent", async () => {
    const agent = randomUUID();
    const agents = await serviceClient(server, 'agent');
    const moved = await agents('agent-accounts/movements', {
      brand: brandBody(server.brands.acme),
      agent_id: agent,
      kind: 'ADJUSTMENT',
      amount_minor: '4000',
      key: `rec-${agent}`,
      reference: 'opening',
      caused_by: 'service:test',
      reason: 'opening balance',
    });
    expect(moved.status).toBe(200);
    const account = await server.deps.prisma.walletAccount.findUniqueOrThrow({ where: { agentId_brandId: { agentId: agent, brandId: server.brands.acme.id } } });
    await server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance - 1 WHERE id = $1::uuid`, account.id);
    expect(await findLedgerMismatches(server.deps.prisma)).toEqual([
      { accountId: account.id, playerId: null, agentId: agent, brandId: server.brands.acme.id, balance: '3999', ledgerTotal: '4000' },
    ]);
    await server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance + 1 WHERE id = $1::uuid`, account.id);
    await expectBooks(server, {});
  });

  it('finds a ledger entry written without its balance change', async () => {
    const player = randomUUID();
    await fund(call, server.brands.demo, player, 300n);
    const account = await server.deps.prisma.walletAccount.findUniqueOrThrow({ where: { playerId: player } });
    await server.deps.prisma.$executeRawUnsafe(
      `INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, 'WIN', 200, 500, 'forged', $4, 'test')`,
      account.id,
      server.brands.demo.id,
      player,
      `forged:${player}`,
    );
    expect(await findLedgerMismatches(server.deps.prisma)).toEqual([
      { accountId: account.id, playerId: player, agentId: null, brandId: server.brands.demo.id, balance: '300', ledgerTotal: '500' },
    ]);
    await server.deps.prisma.$executeRawUnsafe(`DELETE FROM wallet.ledger_entry WHERE command_key = $1`, `forged:${player}`);
    await expectBooks(server, { [player]: 300n });
  });

  it('finds a negative balance even when the ledger sums to it', async () => {
    const player = randomUUID();
    await fund(call, server.brands.demo, player, 100n);
    const account = await server.deps.prisma.walletAccount.findUniqueOrThrow({ where: { playerId: player } });
    await server.deps.prisma.$transaction([
      server.deps.prisma.$executeRawUnsafe(
        `INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by)
         VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, 'ADJUSTMENT', -150, -50, 'forged', $4, 'test')`,
        account.id,
        server.brands.demo.id,
        player,
        `overdraw:${player}`,
      ),
      server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance - 150 WHERE id = $1::uuid`, account.id),
    ]);
    expect(await findLedgerMismatches(server.deps.prisma)).toEqual([
      { accountId: account.id, playerId: player, agentId: null, brandId: server.brands.demo.id, balance: '-50', ledgerTotal: '-50' },
    ]);
    await server.deps.prisma.$transaction([
      server.deps.prisma.$executeRawUnsafe(`DELETE FROM wallet.ledger_entry WHERE command_key = $1`, `overdraw:${player}`),
      server.deps.prisma.$executeRawUnsafe(`UPDATE wallet.wallet_account SET balance = balance + 150 WHERE id = $1::uuid`, account.id),
    ]);
    await expectBooks(server, { [player]: 100n });
  });
});
