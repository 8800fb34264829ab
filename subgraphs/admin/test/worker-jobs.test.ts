/**
 * admin_worker's scheduled jobs as operators see them: two replicas on one database run each job
 * once per window, and a job that fails turns every replica's /health unhealthy (503, naming the
 * job and its error) until a retry succeeds. Real PostgreSQL, Redis and HTTP.
 */
import { loadWorkerConfig, type StartedWorker, startWorker } from '@rgb/kit';
import { isolatedRedisUrl, type SeededTestSubgraph, startSeededTestSubgraph, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAILY_FIGURES_JOB } from '../src/daily-figures';
import { adminSubgraph, adminWorker } from '../src/index';
import { STALE_REQUESTS_JOB } from '../src/stale-requests';

const JOBS = [STALE_REQUESTS_JOB, DAILY_FIGURES_JOB];

let server: SeededTestSubgraph;
let replicas: StartedWorker[] = [];

beforeAll(async () => {
  const redisUrl = await isolatedRedisUrl();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  // The stale request check runs every minute: start far enough from a minute's end that the test sees one window of it.
  const intoMinuteMs = Date.now() % 60_000;
  if (intoMinuteMs > 40_000) await sleep(60_000 - intoMinuteMs + 500);
  const config = loadWorkerConfig(0, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: server.database.url,
    REDIS_URL: redisUrl,
    DATABASE_POOL_SIZE: '2',
    JOB_POLL_MS: '50',
  });
  replicas = await Promise.all([startWorker(adminWorker, config), startWorker(adminWorker, config)]);
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await server?.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Health {
  status: number;
  reason?: string;
  jobs: { name: string; lastSuccessBy: string | null; lastError: string | null }[];
}
async function health(replica: StartedWorker): Promise<Health> {
  const response = await fetch(`${replica.url}/health`);
  const body = (await response.json()) as Omit<Health, 'status'>;
  return { status: response.status, reason: body.reason, jobs: body.jobs };
}

/** Successful runs of `job` counted by both replicas together. */
async function successes(job: string): Promise<number> {
  let total = 0;
  for (const replica of replicas) {
    const metric = await replica.deps.metrics.registry.getSingleMetric('scheduled_job_runs_total')?.get();
    total += metric?.values.find(({ labels }) => labels.job === job && labels.outcome === 'success')?.value ?? 0;
  }
  return total;
}

/** Makes the window in progress due again, as the next window would be. */
const nextWindow = (job: string) =>
  server.deps.prisma.$executeRaw`
    UPDATE platform.scheduled_job SET last_success_window_start = last_success_window_start - interval_ms * interval '1 millisecond' WHERE name = ${job}`;

describe('two admin_worker replicas', () => {
  it('run each job once per window and both report them healthy', async () => {
    await waitFor('both jobs run', async () => (await Promise.all(JOBS.map(successes))).every((runs) => runs >= 1), 20_000);
    await waitFor('both replicas reading the successes', async () =>
      (await Promise.all(replicas.map(health))).every((read) => read.status === 200 && read.jobs.every((job) => job.lastSuccessBy !== null)),
    );
    const reads = await Promise.all(replicas.map(health));
    expect(reads.map((read) => read.jobs.map(({ name }) => name).sort())).toEqual([[...JOBS].sort(), [...JOBS].sort()]);
    // Both replicas poll every 50 ms: a while longer, and still one run each.
    await sleep(1_000);
    expect(await Promise.all(JOBS.map(successes))).toEqual([1, 1]);

    for (const job of JOBS) await nextWindow(job);
    await waitFor('both jobs run again', async () => (await Promise.all(JOBS.map(successes))).every((runs) => runs >= 2), 20_000);
    await sleep(1_000);
    expect(await Promise.all(JOBS.map(successes))).toEqual([2, 2]);
  });

  it('turn unhealthy together when a job fails, naming it and its error, and recover when its retry succeeds', async () => {
    // A time zone PostgreSQL does not know (the API refuses one; a row written by hand may hold it) fails the rollup.
    await server.deps.prisma.$executeRaw`UPDATE admin.brand SET timezone = 'Mars/Olympus' WHERE code = 'acme'`;
    try {
      await nextWindow(DAILY_FIGURES_JOB);
      const failing = await waitFor('both replicas unhealthy', async () => {
        const reads = await Promise.all(replicas.map(health));
        return reads.every((read) => read.status === 503) && reads;
      });
      for (const read of failing) {
        expect(read.reason).toMatch(new RegExp(`^progress: ${DAILY_FIGURES_JOB.replace('.', '\\.')}: last run failed: .*Mars/Olympus`));
        expect(read.reason).not.toContain(STALE_REQUESTS_JOB);
        expect(read.jobs.find(({ name }) => name === DAILY_FIGURES_JOB)?.lastError).toMatch(/Mars\/Olympus/);
      }
    } finally {
      await server.deps.prisma.$executeRaw`UPDATE admin.brand SET timezone = 'Asia/Seoul' WHERE code = 'acme'`;
    }
    // Retried in its window, 1 s after the failure.
    await waitFor('both replicas healthy again', async () => (await Promise.all(replicas.map(health))).every((read) => read.status === 200), 15_000);
  });
});
