/**
 * Scheduled jobs claimed through PostgreSQL: replicas of a worker on one database run each job
 * once per window, take over a job whose replica died mid-run once its lease expires, retry a
 * failed window with backoff, and all report the job's health from the shared state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { Metrics } from '../src/metrics';
import type { JobRun } from '../src/scheduled-jobs';
import { waitFor } from '../src/testing';
import { createWorker, type Worker } from '../src/worker';
import { loadWorkerConfig, type StartedWorker, startWorker } from '../src/worker-service';
import { createRunTable, recordedRuns, recordingJob, recordingWorker } from './job-runs';

const FIXTURE = fileURLToPath(new URL('./fixtures/hanging-job-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const YEAR_MS = 365 * 24 * 3_600_000;
const log = createLogger('scheduled-jobs-test', process.env.TEST_LOG_LEVEL ?? 'silent');

let database: TestDatabase;
let prisma: PrismaClient;
const started: StartedWorker[] = [];
const workers: Worker[] = [];
let child: ChildProcess | undefined;
let childOutput = '';

beforeAll(async () => {
  database = await createTestDatabase();
  prisma = createPrismaClient({ databaseUrl: database.url, poolSize: 4, applicationName: 'scheduled-jobs-test' });
  await createRunTable(prisma);
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([...started.splice(0).map((worker) => worker.close()), ...workers.splice(0).map((worker) => worker.stop())]);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

const workerEnv = (env: Record<string, string>) => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATABASE_URL: database.url,
  DATABASE_POOL_SIZE: '2',
  PORT: '0',
  METRICS_PORT: '0',
  ...env,
});

/** A wallet_worker-like process built by startWorker: one recording job, real HTTP health and metrics. */
async function replica(job: Parameters<typeof recordingWorker>[0], env: Record<string, string>): Promise<StartedWorker> {
  const worker = await startWorker(recordingWorker(job), loadWorkerConfig(0, workerEnv(env)));
  started.push(worker);
  return worker;
}

interface JobHealth {
  name: string;
  lastSuccessAt: string | null;
  lastSuccessBy: string | null;
  lastError: string | null;
  lastErrorBy: string | null;
  runningOn: string | null;
}
async function health(url: string): Promise<{ status: number; reason?: string; job: JobHealth }> {
  const response = await fetch(`${url}/health`);
  const body = (await response.json()) as { reason?: string; jobs: JobHealth[] };
  return { status: response.status, reason: body.reason, job: body.jobs[0]! };
}
const healthOf = (worker: Worker) =>
  worker.app.inject({ url: '/health' }).then((response) => ({ status: response.statusCode, job: (response.json().jobs as JobHealth[])[0]! }));

async function metricValue(worker: StartedWorker, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await worker.deps.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('two replicas of a worker', () => {
  it('run a job exactly once per window, and both report it healthy and who ran it', async () => {
    const name = 'every-window';
    const intervalMs = 600;
    // Each run takes a while, so the other replica polls (every 20 ms) while the job is in hand.
    const job = (ranBy: string) => ({ name, intervalMs, ranBy, work: () => sleep(100) });
    const env = { JOB_POLL_MS: '20', JOB_LEASE_MS: '5000' };
    const [a, b] = await Promise.all([replica(job('a'), env), replica(job('b'), env)]);

    const windows = async () => new Set((await recordedRuns(prisma, name)).map((run) => run.windowStart.getTime())).size;
    await waitFor('runs in six windows', async () => (await windows()) >= 6, 30_000);
    // Both replicas show the last success on any replica, on the database's clock.
    await waitFor('both gauges at the last success', async () => {
      const { lastSuccessAt } = await prisma.scheduledJob.findUniqueOrThrow({ where: { name } });
      const gauges = await Promise.all([a, b].map((worker) => metricValue(worker, 'scheduled_job_last_success_timestamp_seconds', { job: name })));
      return gauges.every((gauge) => gauge === lastSuccessAt!.getTime() / 1000);
    });
    expect(await Promise.all([a, b].map((worker) => metricValue(worker, 'scheduled_job_interval_seconds', { job: name })))).toEqual([0.6, 0.6]);
    const [fromA, fromB] = await Promise.all([health(a.url), health(b.url)]);
    expect([fromA.status, fromB.status]).toEqual([200, 200]);
    await Promise.all(started.splice(0).map((worker) => worker.close()));

    const runs = await recordedRuns(prisma, name);
    const perWindow = new Map<number, string[]>();
    for (const run of runs) perWindow.set(run.windowStart.getTime(), [...(perWindow.get(run.windowStart.getTime()) ?? []), run.ranBy]);
    expect([...perWindow.entries()].filter(([, ranBy]) => ranBy.length > 1)).toEqual([]);
    for (const run of runs) {
      expect(run.windowStart.getTime() % intervalMs).toBe(0);
      expect(run.attempt).toBe(1);
    }
    // Each replica counted the runs it made, and only those.
    const successes = async (worker: StartedWorker) => (await metricValue(worker, 'scheduled_job_runs_total', { job: name, outcome: 'success' })) ?? 0;
    const [byA, byB] = [runs.filter((run) => run.ranBy === 'a').length, runs.filter((run) => run.ranBy === 'b').length];
    expect([await successes(a), await successes(b)]).toEqual([byA, byB]);
    const row = await prisma.scheduledJob.findUniqueOrThrow({ where: { name } });
    expect(row.lastSuccessBy).toMatch(new RegExp(`^jobs_test_worker@.+:${process.pid}:[0-9a-f]{4}$`));
  });

  it('report the job healthy on both, naming the same last runner, while only one of them runs it', async () => {
    const name = 'shared-health';
    const job = (ranBy: string) => ({ name, intervalMs: YEAR_MS, ranBy, work: async () => {} });
    const env = { JOB_POLL_MS: '20' };
    const [a, b] = await Promise.all([replica(job('a'), env), replica(job('b'), env)]);
    await waitFor('both replicas read the success', async () => {
      const [fromA, fromB] = await Promise.all([health(a.url), health(b.url)]);
      return fromA.job.lastSuccessBy !== null && fromB.job.lastSuccessBy !== null;
    });
    expect(await Promise.all([a, b].map((worker) => metricValue(worker, 'scheduled_job_interval_seconds', { job: name })))).toEqual([YEAR_MS / 1000, YEAR_MS / 1000]);
    const [fromA, fromB] = await Promise.all([health(a.url), health(b.url)]);
    expect([fromA.status, fromB.status]).toEqual([200, 200]);
    expect(fromA.job).toEqual(fromB.job);
    expect(await recordedRuns(prisma, name)).toHaveLength(1);
  });
});

describe('a replica killed while it runs a job', () => {
  it('holds the job while it lives; once its lease expires another replica runs that window again', async () => {
    const name = 'taken-over';
    const leaseMs = 4_000;
    child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, ...workerEnv({ JOB_NAME: name, JOB_INTERVAL_MS: String(YEAR_MS), JOB_LEASE_MS: String(leaseMs), JOB_POLL_MS: '50' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    await waitFor(
      'the doomed replica running the job',
      () => {
        if (child?.exitCode !== null) throw new Error(`the child exited: ${childOutput}`);
        return childOutput.includes('running\n');
      },
      30_000,
    );
    const childPid = child.pid!;

    let takeover: JobRun | undefined;
    const survivor = await replica(
      {
        name,
        intervalMs: YEAR_MS,
        ranBy: 'survivor',
        work: async (run) => {
          takeover = run;
        },
      },
      { JOB_LEASE_MS: String(leaseMs), JOB_POLL_MS: '50' },
    );
    // Longer than a lease: the live child renews it, so the survivor neither runs the job nor calls it unhealthy.
    await sleep(leaseMs + 1_000);
    expect(takeover).toBeUndefined();
    const whileHeld = await health(survivor.url);
    expect(whileHeld.status).toBe(200);
    expect(whileHeld.job.runningOn).toMatch(new RegExp(`:${childPid}:[0-9a-f]{4}$`));

    child.kill('SIGKILL');
    await waitFor('the survivor taking the job over', () => takeover, 30_000);

    const runs = await recordedRuns(prisma, name);
    expect(runs.map(({ ranBy, attempt }) => ({ ranBy, attempt }))).toEqual([
      { ranBy: 'doomed', attempt: 1 },
      { ranBy: 'survivor', attempt: 2 },
    ]);
    // The same window: the dead replica's run is not lost.
    expect(runs[1]!.windowStart).toEqual(runs[0]!.windowStart);
    const after = await waitFor('the success recorded', async () => {
      const read = await health(survivor.url);
      return read.job.lastSuccessBy !== null && read;
    });
    expect(after.status).toBe(200);
    expect(after.job.lastSuccessBy).toMatch(new RegExp(`:${process.pid}:[0-9a-f]{4}$`));
    expect(after.job.runningOn).toBeNull();
  });
});

/** Two replicas built by createWorker on one database, with a short grace so a missed window shows quickly. */
function pair(job: (ranBy: string) => Parameters<typeof recordingJob>[1], jobLeaseMs?: number): [Worker, Worker] {
  const replicas = ['replica-a', 'replica-b'].map((instanceId) =>
    createWorker({
      name: 'jobs_test_worker',
      log,
      metrics: new Metrics('scheduled-jobs-test'),
      loops: [],
      jobs: [recordingJob(prisma, job(instanceId))],
      prisma,
      instanceId,
      jobLeaseMs,
      jobPollMs: 20,
      failureGraceMs: 400,
    }),
  );
  for (const worker of replicas) {
    workers.push(worker);
    worker.start();
  }
  return replicas as [Worker, Worker];
}
const problemsOf = (replicas: Worker[]) => replicas.map((worker) => worker.problems());

describe('health from the shared state', () => {
  it('a failed run turns both replicas unhealthy with its error; it is retried in its window with backoff until it succeeds', async () => {
    const name = 'flaky';
    let failures = 2;
    const replicas = pair((ranBy) => ({
      name,
      intervalMs: YEAR_MS,
      ranBy,
      work: async () => {
        if (failures-- > 0) throw new Error('upstream refused');
      },
    }));
    await waitFor('both replicas reporting the failure', () =>
      problemsOf(replicas).every((found) => found.length > 0),
    );
    expect(problemsOf(replicas)).toEqual([['flaky: last run failed: upstream refused'], ['flaky: last run failed: upstream refused']]);
    const failing = await Promise.all(replicas.map(healthOf));
    expect(failing.map((read) => read.status)).toEqual([503, 503]);
    expect(failing[0]!.job.lastErrorBy).toMatch(/^replica-[ab]$/);
    expect(failing[1]!.job.lastErrorBy).toBe(failing[0]!.job.lastErrorBy);

    await waitFor('both recovered', () => problemsOf(replicas).every((found) => found.length === 0), 15_000);
    const runs = await recordedRuns(prisma, name);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(new Set(runs.map((run) => run.windowStart.getTime())).size).toBe(1);
    // 1 s after the first failure, then 2 s after the second.
    expect(runs[1]!.startedAt.getTime() - runs[0]!.startedAt.getTime()).toBeGreaterThanOrEqual(1_000);
    expect(runs[2]!.startedAt.getTime() - runs[1]!.startedAt.getTime()).toBeGreaterThanOrEqual(2_000);
    const recovered = await Promise.all(replicas.map(healthOf));
    expect(recovered.map((read) => read.status)).toEqual([200, 200]);
    expect(recovered[1]!.job.lastSuccessBy).toBe(runs[2]!.ranBy);
    expect(recovered[0]!.job.lastSuccessBy).toBe(runs[2]!.ranBy);
  });

  it('a window nobody completed turns both replicas unhealthy, and both recover once a run succeeds', async () => {
    const name = 'late';
    const intervalMs = 1_000;
    let hanging = false;
    let release = () => {};
    const replicas = pair((ranBy) => ({
      name,
      intervalMs,
      ranBy,
      work: () => (hanging ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    }));
    await waitFor('a first success read by both', async () =>
      (await Promise.all(replicas.map(healthOf))).every((read) => read.job.lastSuccessAt !== null),
    );
    expect(problemsOf(replicas)).toEqual([[], []]);

    hanging = true;
    try {
      const [problem] = await waitFor('both replicas reporting the missed window', () => {
        const found = problemsOf(replicas);
        return found.every((list) => list.length > 0) && found.flat();
      });
      expect(problem).toMatch(/^late: missed its window \(last success \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
      const lastSuccessAt = new Date(problem!.match(/last success (\S+)\)/)![1]!).getTime();
      expect(Date.now() - lastSuccessAt).toBeGreaterThanOrEqual(intervalMs + 400);
      const unhealthy = await Promise.all(replicas.map(healthOf));
      expect(unhealthy.map((read) => read.status)).toEqual([503, 503]);
      expect(unhealthy[0]!.job.runningOn).toMatch(/^replica-[ab]$/);
    } finally {
      // Also when an expectation fails: stopping the replicas waits for the run in hand.
      hanging = false;
      release();
    }
    await waitFor('both recovered', () => problemsOf(replicas).every((found) => found.length === 0));
  });
});

describe('stopping a replica while its job runs', () => {
  it('lets the job finish, renewing its lease meanwhile, and records its outcome: the other replica does not run that window', async () => {
    const name = 'finishing';
    const leaseMs = 2_000;
    // Every run in hand, so that a failed expectation still lets the replicas stop.
    const inHand: (() => void)[] = [];
    const finish = () => {
      for (const resolve of inHand.splice(0)) resolve();
    };
    const [a, b] = pair(
      (ranBy) => ({ name, intervalMs: YEAR_MS, ranBy, work: () => new Promise<void>((resolve) => inHand.push(resolve)) }),
      leaseMs,
    );
    const [first] = await waitFor('a run in hand', async () => {
      const runs = await recordedRuns(prisma, name);
      return runs.length > 0 && runs;
    });
    const [holder, other] = first!.ranBy === 'replica-a' ? [a, b] : [b, a];
    let stopped = false;
    const stopping = holder.stop().then(() => (stopped = true));
    try {
      await sleep(leaseMs + 1_000);
      expect(stopped).toBe(false);
      expect(await recordedRuns(prisma, name)).toHaveLength(1);
    } finally {
      finish();
    }
    await stopping;
    const row = await prisma.scheduledJob.findUniqueOrThrow({ where: { name } });
    expect(row.lastSuccessBy).toBe(first!.ranBy);
    expect(row.leaseOwner).toBeNull();
    await waitFor('the other replica reading the success', async () => (await healthOf(other)).job.lastSuccessBy === first!.ranBy);
    expect(other.problems()).toEqual([]);
    expect(await recordedRuns(prisma, name)).toHaveLength(1);
  });
});

describe('a run whose lease is lost', () => {
  it('has its signal aborted, so a long job can stop, and its outcome is not recorded over the new holder', async () => {
    const name = 'losing';
    const leaseMs = 600;
    let seen: JobRun | undefined;
    const metrics = new Metrics('scheduled-jobs-test');
    const worker = createWorker({
      name: 'jobs_test_worker',
      log,
      metrics,
      loops: [],
      jobs: [
        {
          name,
          intervalMs: YEAR_MS,
          run: (run) => {
            seen = run;
            return new Promise<void>((_resolve, reject) => run.signal.addEventListener('abort', () => reject(run.signal.reason)));
          },
        },
      ],
      prisma,
      instanceId: 'replica-a',
      jobLeaseMs: leaseMs,
      jobPollMs: 20,
      failureGraceMs: 400,
    });
    workers.push(worker);
    worker.start();
    const run = await waitFor('the run in hand', () => seen);
    expect(run.signal.aborted).toBe(false);
    await sleep(leaseMs);
    // Still held: renewals keep it.
    expect(run.signal.aborted).toBe(false);
    // Another replica takes the lease over, as after this one stalled past it.
    await prisma.$executeRaw`UPDATE platform.scheduled_job SET lease_token = gen_random_uuid(), lease_owner = 'replica-b' WHERE name = ${name}`;
    await waitFor('the run aborted', () => run.signal.aborted, leaseMs * 2);
    expect(String(run.signal.reason)).toMatch(/lease of losing was lost: its lease was taken over/);
    await waitFor('the failure counted', async () => (await metrics.registry.getSingleMetric('scheduled_job_runs_total')?.get())?.values.some((value) => value.labels.outcome === 'failure'));
    const row = await prisma.scheduledJob.findUniqueOrThrow({ where: { name } });
    expect(row).toMatchObject({ leaseOwner: 'replica-b', lastError: null });
  });
});
