// Shared by scheduled-jobs.test.ts and its child process: a table where test jobs write down
// each run they start, and the worker that runs such a job.
import type { PrismaClient } from '@rgb/db';
import type { JobRun, ScheduledJob } from '../src/scheduled-jobs';
import type { WorkerDefinition } from '../src/worker-service';

export interface RecordedRun {
  ranBy: string;
  windowStart: Date;
  attempt: number;
  startedAt: Date;
}

export const createRunTable = (prisma: PrismaClient) =>
  prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS public.job_run (job text NOT NULL, ran_by text NOT NULL, window_start timestamptz NOT NULL,
       attempt int NOT NULL, started_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );

export const recordedRuns = (prisma: PrismaClient, job: string) =>
  prisma.$queryRaw<RecordedRun[]>`
    SELECT ran_by AS "ranBy", window_start AS "windowStart", attempt, started_at AS "startedAt"
    FROM public.job_run WHERE job = ${job} ORDER BY started_at`;

/** A job that writes down each run it starts (by whom, for which window), then does `work`. */
export function recordingJob(
  prisma: PrismaClient,
  { name, intervalMs, ranBy, work }: { name: string; intervalMs: number; ranBy: string; work: (run: JobRun) => Promise<void> },
): ScheduledJob {
  return {
    name,
    intervalMs,
    async run(run) {
      await prisma.$executeRaw`INSERT INTO public.job_run (job, ran_by, window_start, attempt) VALUES (${name}, ${ranBy}, ${run.windowStart}, ${run.attempt})`;
      await work(run);
    },
  };
}

/** A worker with no loops and one recording job. */
export const recordingWorker = (job: Parameters<typeof recordingJob>[1]): WorkerDefinition => ({
  name: 'jobs_test_worker',
  loops: () => [],
  jobs: ({ prisma }) => [recordingJob(prisma, job)],
});
