/**
 * How requirements end besides turnover, and how rolling_worker behaves as operators see it:
 * staff cancel over GraphQL (who may, what is refused, what is written), the expiry job, a
 * wallet that is down when a requirement completes (retried, health failing meanwhile, confirmed
 * once when it is back), and two worker replicas sharing the consumer group and the job. Real
 * PostgreSQL, Redis and HTTP (admin, wallet, rolling).
 */
import { randomUUID } from 'node:crypto';
import type { StartedWorker } from '@rgb/kit';
import { firstError, freePort, signedIn, staffWith, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_JOB, TURNOVER_GROUP } from '../src/worker';
import {
  bet,
  depositApproved,
  healthOf,
  type RollingPlatform,
  requirementsOf,
  rollingOutbox,
  rollingStream,
  startRollingPlatform,
  walletOutbox,
} from './support';

let platform: RollingPlatform;
beforeAll(async () => {
  platform = await startRollingPlatform();
});
afterAll(() => platform?.close());

const acme = () => platform.brands.acme;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rollingRow = (id: string) => platform.prisma.rolling.findUniqueOrThrow({ where: { id } });

/** A fresh player with one requirement per amount (approved a second apart, oldest first). */
async function playerWith(...amounts: bigint[]) {
  const playerId = randomUUID();
  const base = Date.now() - 3_600_000;
  await platform.publish(...amounts.map((amount, index) => depositApproved(acme(), playerId, amount, new Date(base + index * 1_000))));
  return { playerId, requirements: await requirementsOf(platform, acme(), playerId) };
}

/** Makes the expiry job's window in progress due again, as the next window would be. */
const nextExpiryWindow = () =>
  platform.prisma.$executeRaw`
    UPDATE platform.scheduled_job SET last_success_window_start = last_success_window_start - interval_ms * interval '1 millisecond' WHERE name = ${EXPIRY_JOB}`;

/** Successful runs of `job` counted by the given replicas together. */
async function jobSuccesses(workers: StartedWorker[], job: string): Promise<number> {
  let total = 0;
  for (const worker of workers) {
    const metric = await worker.deps.metrics.registry.getSingleMetric('scheduled_job_runs_total')?.get();
    total += metric?.values.find(({ labels }) => labels.job === job && labels.outcome === 'success')?.value ?? 0;
  }
  return total;
}

/** Wallet events the replicas applied (or skipped as already applied), by outcome, together. */
async function consumed(workers: StartedWorker[], outcome: 'applied' | 'duplicate'): Promise<number> {
  let total = 0;
  for (const worker of workers) {
    const metric = await worker.deps.metrics.registry.getSingleMetric('events_consumed_total')?.get();
    total += metric?.values.find(({ labels }) => labels.consumer === TURNOVER_GROUP && labels.outcome === outcome)?.value ?? 0;
  }
  return total;
}

/** The job's first window (run when the worker started) has been run, so a test's window is the next. */
const firstExpiryRun = () =>
  waitFor('the first expiry run', async () => (await platform.prisma.scheduledJob.findUnique({ where: { name: EXPIRY_JOB } }))?.lastSuccessWindowStart != null);

/** Waits, when a minute's end is near, for the next minute to begin: a test then sees one window of a job (its own). */
async function awayFromWindowEnd(): Promise<void> {
  const intoMinuteMs = Date.now() % 60_000;
  if (intoMinuteMs > 45_000) await sleep(60_000 - intoMinuteMs + 500);
}

describe('cancelRolling', () => {
  const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelRolling(id: $id, reason: $reason) { id status cancelReason endedAt accrued required } }`;
  const cancel = (id: string, reason: string, context = staffWith(acme(), randomUUID(), ['rollings.manage'])) =>
    platform.rolling.graphql<{ cancelRolling: Record<string, unknown> }>(CANCEL, { id, reason }, context);

  it('ends an active requirement with the reason, announces ROLLING_CANCELED and records the staff action', async () => {
    const { playerId, requirements } = await playerWith(10_000n, 10_000n);
    const [canceled, next] = requirements;
    await platform.publish(bet(acme(), playerId, { stake: 3_000n }).settled());
    const staffId = randomUUID();
    const answer = await cancel(canceled!.id, '  promotion abuse  ', staffWith(acme(), staffId, ['rollings.manage']));
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data!.cancelRolling).toEqual({
      id: canceled!.id,
      status: 'CANCELED',
      cancelReason: 'promotion abuse',
      endedAt: expect.any(String),
      accrued: '3000',
      required: '10000',
    });
    expect(await rollingRow(canceled!.id)).toMatchObject({ status: 'CANCELED', cancelReason: 'promotion abuse', canceledBy: staffId, accrued: 3_000n });

    const [event, ...more] = await rollingOutbox(platform, 'ROLLING_CANCELED', canceled!.id);
    expect(more).toEqual([]);
    expect(event!.envelope).toMatchObject({
      brand_id: acme().id,
      aggregate_type: 'rolling',
      payload: { rolling_id: canceled!.id, player_id: playerId, required_minor: '10000', accrued_minor: '3000', currency: 'KRW', reason: 'promotion abuse' },
    });
    const actions = (await rollingOutbox(platform, 'STAFF_ACTION_RECORDED')).filter((row) => (row.envelope as { payload: { target_id: string } }).payload.target_id === canceled!.id);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.envelope).toMatchObject({
      brand_id: acme().id,
      payload: {
        staff_id: staffId,
        action: 'rolling.cancel',
        target_type: 'rolling',
        target_id: canceled!.id,
        before: { status: 'ACTIVE' },
        after: { status: 'CANCELED', reason: 'promotion abuse' },
      },
    });

    // A canceled requirement takes no more turnover, nor gives any back.
    const later = bet(acme(), playerId, { stake: 2_000n });
    await platform.publish(later.settled());
    expect(await rollingRow(canceled!.id)).toMatchObject({ status: 'CANCELED', accrued: 3_000n });
    expect(await rollingRow(next!.id)).toMatchObject({ status: 'ACTIVE', accrued: 2_000n });
  });

  it('refuses players, agents, anonymous callers and staff without rollings.manage, and changes nothing', async () => {
    const { playerId, requirements } = await playerWith(10_000n);
    const id = requirements[0]!.id;
    const refusals = [
      [signedIn(acme(), 'player', playerId), 'FORBIDDEN'],
      [signedIn(acme(), 'agent', randomUUID()), 'FORBIDDEN'],
      [staffWith(acme(), randomUUID(), ['rollings.read']), 'FORBIDDEN'],
      [staffWith(acme(), randomUUID(), []), 'FORBIDDEN'],
      [{ brand: acme(), caller: null }, 'UNAUTHENTICATED'],
    ] as const;
    for (const [context, code] of refusals) {
      expect(firstError(await cancel(id, 'reason', context))?.code, JSON.stringify(context.caller)).toBe(code);
    }
    expect(await rollingRow(id)).toMatchObject({ status: 'ACTIVE', cancelReason: null, endedAt: null });
    expect(await rollingOutbox(platform, 'ROLLING_CANCELED', id)).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown id, a malformed one and another brand’s requirement', async () => {
    const { requirements } = await playerWith(10_000n);
    const id = requirements[0]!.id;
    expect(firstError(await cancel(randomUUID(), 'reason'))?.code).toBe('NOT_FOUND');
    expect(firstError(await cancel('not-a-uuid', 'reason'))?.code).toBe('NOT_FOUND');
    expect(firstError(await cancel(id, 'reason', staffWith(platform.brands.demo, randomUUID(), ['rollings.manage'])))?.code).toBe('NOT_FOUND');
    expect(await rollingRow(id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('answers CONFLICT for a requirement no longer active (completed, canceled), and changes nothing', async () => {
    const { playerId, requirements } = await playerWith(1_000n, 10_000n);
    const [completed, canceled] = requirements;
    await platform.publish(bet(acme(), playerId, { stake: 1_000n }).settled());
    expect((await cancel(canceled!.id, 'first')).body.errors).toBeUndefined();
    expect(firstError(await cancel(completed!.id, 'reason'))?.code).toBe('CONFLICT');
    expect(firstError(await cancel(canceled!.id, 'second'))?.code).toBe('CONFLICT');
    expect(await rollingRow(completed!.id)).toMatchObject({ status: 'COMPLETED', cancelReason: null });
    expect(await rollingRow(canceled!.id)).toMatchObject({ status: 'CANCELED', cancelReason: 'first' });
    expect(await rollingOutbox(platform, 'ROLLING_CANCELED', canceled!.id)).toHaveLength(1);
  });

  it('answers BAD_USER_INPUT for a blank or overlong reason, and changes nothing', async () => {
    const { requirements } = await playerWith(10_000n);
    const id = requirements[0]!.id;
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      expect(firstError(await cancel(id, reason))?.code, JSON.stringify(reason)).toBe('BAD_USER_INPUT');
    }
    expect(await rollingRow(id)).toMatchObject({ status: 'ACTIVE', cancelReason: null });
    expect(await rollingOutbox(platform, 'ROLLING_CANCELED', id)).toEqual([]);
    expect((await cancel(id, 'x'.repeat(500))).body.data?.cancelRolling).toMatchObject({ status: 'CANCELED' });
  });
});

describe(`the expiry job (${EXPIRY_JOB})`, () => {
  it('expires active requirements past their expiry once, announcing ROLLING_EXPIRED; they take no more turnover, nor give any back', async () => {
    await firstExpiryRun();
    const { playerId, requirements } = await playerWith(10_000n, 10_000n);
    const [expiring, lasting] = requirements;
    const early = bet(acme(), playerId, { stake: 3_000n });
    await platform.publish(early.settled());
    await platform.prisma.rolling.update({ where: { id: expiring!.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });

    // Past its expiry, even before the job marks it, it takes nothing: the turnover goes to the next.
    await platform.publish(bet(acme(), playerId, { stake: 2_000n }).settled());
    expect((await rollingRow(expiring!.id)).accrued).toBe(3_000n);
    expect((await rollingRow(lasting!.id)).accrued).toBe(2_000n);

    await nextExpiryWindow();
    const expired = await waitFor('the requirement expired', async () => {
      const row = await rollingRow(expiring!.id);
      return row.status === 'EXPIRED' && row;
    });
    expect(expired.endedAt).not.toBeNull();
    expect(await rollingRow(lasting!.id)).toMatchObject({ status: 'ACTIVE', accrued: 2_000n });
    const [event, ...more] = await rollingOutbox(platform, 'ROLLING_EXPIRED', expiring!.id);
    expect(more).toEqual([]);
    expect(event!.envelope).toMatchObject({
      brand_id: acme().id,
      payload: { rolling_id: expiring!.id, player_id: playerId, required_minor: '10000', accrued_minor: '3000', currency: 'KRW' },
    });
    await waitFor('ROLLING_EXPIRED on the rolling stream', async () => (await rollingStream(platform, 'ROLLING_EXPIRED', expiring!.id)).length === 1);

    await platform.publish(early.rolledBack());
    expect(await rollingRow(expiring!.id)).toMatchObject({ status: 'EXPIRED', accrued: 3_000n });
    await nextExpiryWindow();
    await waitFor('another expiry run', async () => (await jobSuccesses([platform.worker], EXPIRY_JOB)) >= 3);
    expect(await rollingOutbox(platform, 'ROLLING_EXPIRED', expiring!.id)).toHaveLength(1);
  });
});

describe('two rolling_worker replicas on one consumer group', () => {
  it('apply every event once, announce and confirm each completion once, and run the expiry job once per window', async () => {
    await firstExpiryRun();
    const second = await platform.startWorker();
    try {
      const replicas = [platform.worker, second];
      const [appliedBefore, duplicatesBefore] = [await consumed(replicas, 'applied'), await consumed(replicas, 'duplicate')];
      const players = Array.from({ length: 6 }, () => randomUUID());
      const base = Date.now() - 3_600_000;
      // Each player: a requirement the bets complete, and a later one they leave untouched.
      const deposits = players.flatMap((playerId) => [depositApproved(acme(), playerId, 10_000n, new Date(base)), depositApproved(acme(), playerId, 50_000n, new Date(base + 1_000))]);
      const bets = players.flatMap((playerId) => [1_000n, 2_000n, 3_000n, 4_000n].map((stake) => bet(acme(), playerId, { stake }).settled()));
      // In several appends, so that both replicas' blocked reads get some.
      await platform.publish(...deposits);
      for (let index = 0; index < bets.length; index += 4) await platform.publish(...bets.slice(index, index + 4));
      expect((await consumed(replicas, 'applied')) - appliedBefore).toBe(deposits.length + bets.length);
      expect((await consumed(replicas, 'duplicate')) - duplicatesBefore).toBe(0);
      const eventIds = [...deposits, ...bets].map((event) => event.event_id);
      expect(await platform.prisma.rollingInbox.count({ where: { consumer: TURNOVER_GROUP, eventId: { in: eventIds } } })).toBe(eventIds.length);
      const completed: string[] = [];
      for (const playerId of players) {
        const requirements = await requirementsOf(platform, acme(), playerId);
        expect(requirements.map(({ accrued, status }) => [accrued, status])).toEqual([
          [10_000n, 'COMPLETED'],
          [0n, 'ACTIVE'],
        ]);
        completed.push(requirements[0]!.id);
      }
      await waitFor('every completion confirmed', async () => (await platform.prisma.rolling.count({ where: { id: { in: completed }, walletConfirmedAt: null } })) === 0);
      await waitFor('every completion on the rolling stream', async () =>
        (await Promise.all(completed.map((id) => rollingStream(platform, 'ROLLING_COMPLETED', id)))).every((found) => found.length > 0),
      );
      await sleep(1_000);
      for (const id of completed) {
        expect(await rollingOutbox(platform, 'ROLLING_COMPLETED', id)).toHaveLength(1);
        expect(await rollingStream(platform, 'ROLLING_COMPLETED', id)).toHaveLength(1);
        expect(await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', id)).toHaveLength(1);
      }

      const expiring = players.slice(0, 3);
      await platform.prisma.rolling.updateMany({ where: { playerId: { in: expiring }, status: 'ACTIVE' }, data: { expiresAt: new Date(Date.now() - 1_000) } });
      await awayFromWindowEnd();
      const runsBefore = await jobSuccesses(replicas, EXPIRY_JOB);
      await nextExpiryWindow();
      await waitFor('the expiry job run', async () => (await jobSuccesses(replicas, EXPIRY_JOB)) > runsBefore);
      // Both replicas poll every 50 ms: a while longer, and still one run.
      await sleep(1_000);
      expect((await jobSuccesses(replicas, EXPIRY_JOB)) - runsBefore).toBe(1);
      for (const playerId of players) {
        const [, later] = await requirementsOf(platform, acme(), playerId);
        const expired = expiring.includes(playerId);
        expect(later!.status).toBe(expired ? 'EXPIRED' : 'ACTIVE');
        expect(await rollingOutbox(platform, 'ROLLING_EXPIRED', later!.id)).toHaveLength(expired ? 1 : 0);
        expect(await rollingStream(platform, 'ROLLING_EXPIRED', later!.id)).toHaveLength(expired ? 1 : 0);
      }
    } finally {
      await second.close();
    }
  });
});

describe('a wallet that is down when a requirement completes', () => {
  it('leaves the completion unconfirmed and retried, with health failing and naming the loop, until the wallet confirms it once', { timeout: 60_000 }, async () => {
    // The platform's worker would tell the running wallet: this replica alone tells one that is not there yet.
    // Earlier completions are all confirmed first, so the one below is the only one waiting.
    await waitFor('earlier completions confirmed', async () => (await platform.prisma.rolling.count({ where: { status: 'COMPLETED', walletConfirmedAt: null } })) === 0);
    await platform.worker.close();
    const port = await freePort();
    const worker = await platform.startWorker({ WALLET_URL: `http://127.0.0.1:${port}`, COMPLETION_RETRY_MS: '1000' });

    const { playerId, requirements } = await playerWith(10_000n);
    const id = requirements[0]!.id;
    await platform.publish(bet(acme(), playerId, { stake: 10_000n }).settled());
    expect(await rollingRow(id)).toMatchObject({ status: 'COMPLETED', walletConfirmedAt: null });
    const retried = await waitFor('two failed attempts', async () => {
      const row = await rollingRow(id);
      return row.notifyAttempts >= 2 && row;
    });
    expect(retried.walletConfirmedAt).toBeNull();
    expect(retried.lastNotifyError).toBeTruthy();
    expect(retried.nextNotifyAt!.getTime()).toBeGreaterThan(Date.now() - 1_000);

    const unhealthy = await waitFor('the worker unhealthy', async () => {
      const health = await healthOf(worker);
      return health.status === 503 && health;
    }, 20_000);
    expect(unhealthy.reason).toMatch(/completion notices -> wallet: failing for \d+ s: 1 completion\(s\) not yet confirmed by the wallet/);
    expect(await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', id)).toEqual([]);
    const attempts = (await rollingRow(id)).notifyAttempts;
    expect(attempts).toBeGreaterThanOrEqual(3);

    const wallet = await platform.startWallet({ PORT: String(port) });
    try {
      const confirmed = await waitFor('the completion confirmed', async () => {
        const row = await rollingRow(id);
        return row.walletConfirmedAt !== null && row;
      }, 30_000);
      expect(confirmed).toMatchObject({ nextNotifyAt: null, lastNotifyError: null });
      expect(confirmed.notifyAttempts).toBeGreaterThanOrEqual(attempts);
      await waitFor('the worker healthy again', async () => (await healthOf(worker)).status === 200);
      await sleep(1_000);
      expect(await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', id)).toHaveLength(1);
      expect(await rollingOutbox(platform, 'ROLLING_COMPLETED', id)).toHaveLength(1);
    } finally {
      await wallet.close();
    }
  });
});
