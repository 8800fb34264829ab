import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '@rgb/db';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from './metrics';
import type { TickResult, WorkerLoop } from './worker';

/** What one run is for. */
export interface JobRun {
  /** Start of the window the run was claimed for (database time; windows are aligned to the epoch). */
  windowStart: Date;
  /** 1 for the window's first claim; more for a retry after a failure or a takeover after a lost replica. */
  attempt: number;
  /**
   * Aborted once this replica no longer holds the run's lease (another took it over after this one
   * stalled past it, or renewals failed for a whole lease): the window may be running elsewhere, so
   * a long job stops starting new work. A job must still tolerate a repeat of its window.
   */
  signal: AbortSignal;
}

/** How a job's latest runs ended, on whichever replica: its shared state as every replica reads it. */
export interface JobOutcome {
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** The latest run failed: its error is newer than the last success. */
  failing: boolean;
}

/**
 * A job runs once per window of `intervalMs` (floor(now / interval)), on one replica of its worker
 * whatever their number. A job whose last success is older than its interval (plus grace) missed its window.
 */
export interface ScheduledJob {
  /** Global across every worker (its row in platform.scheduled_job): prefix it with the domain. */
  name: string;
  intervalMs: number;
  run(run: JobRun): Promise<void>;
  /**
   * Told the job's outcome each time this replica reads the shared state (every poll), whoever
   * ran it: for a gauge of the last run's result that every replica, a restarted one too, reports
   * alike without a query per scrape. Synchronous, and must not throw.
   */
  observe?(outcome: JobOutcome): void;
}

export interface JobSchedulerOptions {
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
  jobs: ScheduledJob[];
  /** Names this replica in the job table: who holds a lease, who ran or failed a job. */
  instanceId: string;
  /** A claim lasts this long, renewed every third of it while the run goes on; a dead replica's is taken over once it expires. */
  leaseMs: number;
  /** How often the replica tries to claim due jobs and reads their shared state. */
  pollMs: number;
  /** A job whose last success is older than its interval plus this has missed its window. */
  failureGraceMs: number;
  /** Aborted when the worker stops: no further claims. */
  stopping: AbortSignal;
}

interface Claim {
  token: string;
  windowStart: Date;
  attempt: number;
}

/** A job's row as every replica reads it, with its age taken on the database's clock. */
interface SharedJobState {
  readAt: number;
  sinceSuccessMs: number;
  failing: boolean;
  runningOn: string | null;
  runStartedAt: Date | null;
  attempt: number;
  claimedWindowStart: Date | null;
  lastSuccessWindowStart: Date | null;
  lastSuccessAt: Date | null;
  lastSuccessBy: string | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastErrorBy: string | null;
}

interface SharedJobRow extends Omit<SharedJobState, 'readAt'> {
  name: string;
}

/** A claim's lease and the polling period unless a worker says otherwise (JOB_LEASE_MS, JOB_POLL_MS). */
export const JOB_DEFAULTS = { leaseMs: 30_000, pollMs: 1_000 } as const;

/** An error in one line for health: the last non-empty line (Prisma's messages open with a generic line and end with the cause). */
export const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .at(-1) ?? 'error';

/** A failed window is claimed again 1 s after its first failure, doubling, at most 5 minutes or a quarter of the interval later. */
export const retryDelayMs = (intervalMs: number, attempt: number) => Math.min(intervalMs / 4, 300_000, 1_000 * 2 ** (attempt - 1));

/**
 * Runs a worker's jobs once per window across all its replicas (ADR-003 health included).
 * Each poll a replica claims every job of its own that is due, with one conditional UPDATE of the
 * job's row in platform.scheduled_job: due means no success yet in the current window, no live
 * lease, and a failed run's backoff over. The row lock makes one replica win; the others' WHERE
 * no longer matches. The winner renews its lease while the job runs and records the outcome under
 * its claim's token, so a replica whose lease was taken over records nothing. Health and metrics
 * read the shared row, so each replica tells the same story whoever ran the job.
 */
export class JobScheduler {
  readonly loop: WorkerLoop;
  private readonly running = new Map<string, Promise<void>>();
  private readonly shared = new Map<string, SharedJobState>();
  private readonly runs: Counter<'job' | 'outcome'>;
  private readonly lastSuccess: Gauge<'job'>;
  private registered = false;

  constructor(private readonly options: JobSchedulerOptions) {
    const names = options.jobs.map((job) => job.name);
    const twice = names.filter((name, index) => names.indexOf(name) !== index);
    if (twice.length > 0) throw new Error(`scheduled job names must be unique: ${twice.join(', ')}`);
    for (const job of options.jobs) {
      if (!Number.isSafeInteger(job.intervalMs) || job.intervalMs <= 0) throw new Error(`scheduled job ${job.name}: intervalMs must be a positive integer`);
    }
    this.runs = new Counter({
      name: 'scheduled_job_runs_total',
      help: 'Runs of scheduled jobs on this replica, by outcome (success, failure)',
      labelNames: ['job', 'outcome'],
      registers: [options.metrics.registry],
    });
    this.lastSuccess = new Gauge({
      name: 'scheduled_job_last_success_timestamp_seconds',
      help: 'When a scheduled job last succeeded on any replica (database time)',
      labelNames: ['job'],
      registers: [options.metrics.registry],
    });
    // Alert rules compare a job's last success with its own interval, so no rule lists jobs by name.
    const interval = new Gauge({
      name: 'scheduled_job_interval_seconds',
      help: 'How often a scheduled job is meant to run',
      labelNames: ['job'],
      registers: [options.metrics.registry],
    });
    for (const job of options.jobs) interval.set({ job: job.name }, job.intervalMs / 1000);
    this.loop = { name: 'job scheduler', idleDelayMs: options.pollMs, tick: () => this.tick() };
  }

  /** Reasons for ill health: a job nobody ran successfully within its window, or whose last run failed. */
  problems(now: number): string[] {
    const found: string[] = [];
    for (const job of this.options.jobs) {
      const state = this.shared.get(job.name);
      if (!state) continue;
      const sinceSuccessMs = state.sinceSuccessMs + (now - state.readAt);
      if (sinceSuccessMs >= job.intervalMs + this.options.failureGraceMs) {
        const lastSuccess = state.lastSuccessAt ? state.lastSuccessAt.toISOString() : 'never';
        found.push(`${job.name}: missed its window (last success ${lastSuccess}${state.failing ? `, last error: ${state.lastError}` : ''})`);
      } else if (state.failing) {
        found.push(`${job.name}: last run failed: ${state.lastError}`);
      }
    }
    return found;
  }

  /** Each job's shared state for /health: last success and error, and who ran, failed or holds it. */
  describe(): Record<string, unknown>[] {
    const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;
    return this.options.jobs.map((job) => {
      const state = this.shared.get(job.name);
      return {
        name: job.name,
        intervalMs: job.intervalMs,
        lastSuccessAt: iso(state?.lastSuccessAt),
        lastSuccessBy: state?.lastSuccessBy ?? null,
        lastSuccessWindowStart: iso(state?.lastSuccessWindowStart),
        lastError: state?.lastError ?? null,
        lastErrorAt: iso(state?.lastErrorAt),
        lastErrorBy: state?.lastErrorBy ?? null,
        runningOn: state?.runningOn ?? null,
        runStartedAt: state?.runningOn ? iso(state.runStartedAt) : null,
        windowStart: iso(state?.claimedWindowStart),
        attempt: state?.attempt ?? 0,
      };
    });
  }

  /** Resolves once every run this replica holds has finished and recorded its outcome. */
  async drain(): Promise<void> {
    await Promise.all(this.running.values());
  }

  private async tick(): Promise<TickResult> {
    const { prisma, jobs, stopping } = this.options;
    if (!this.registered) {
      await prisma.scheduledJob.createMany({
        data: jobs.map((job) => ({ name: job.name, intervalMs: BigInt(job.intervalMs) })),
        skipDuplicates: true,
      });
      this.registered = true;
    }
    let claimed = 0;
    for (const job of jobs) {
      if (stopping.aborted || this.running.has(job.name)) continue;
      const claim = await this.claim(job);
      if (!claim) continue;
      claimed++;
      this.running.set(
        job.name,
        this.execute(job, claim).finally(() => this.running.delete(job.name)),
      );
    }
    await this.refresh();
    return { worked: claimed, pending: false };
  }

  private async claim(job: ScheduledJob): Promise<Claim | null> {
    const { prisma, instanceId, leaseMs } = this.options;
    const token = randomUUID();
    const interval = BigInt(job.intervalMs);
    const [claimed] = await prisma.$queryRaw<{ window_start: Date; attempt: number }[]>`
      WITH due AS (
        SELECT timestamptz 'epoch' + (floor(extract(epoch FROM now()) * 1000 / ${interval}::bigint) * ${interval}::bigint)::float8 * interval '1 millisecond' AS window_start
      )
      UPDATE platform.scheduled_job AS job
      SET claimed_window_start = due.window_start,
          attempt = CASE WHEN job.claimed_window_start = due.window_start THEN job.attempt + 1 ELSE 1 END,
          lease_token = ${token}::uuid,
          lease_owner = ${instanceId},
          lease_expires_at = now() + ${leaseMs}::float8 * interval '1 millisecond',
          run_started_at = now(),
          retry_at = NULL,
          interval_ms = ${interval}::bigint
      FROM due
      WHERE job.name = ${job.name}
        AND (job.last_success_window_start IS NULL OR job.last_success_window_start < due.window_start)
        AND (job.lease_expires_at IS NULL OR job.lease_expires_at <= now())
        AND (job.claimed_window_start IS DISTINCT FROM due.window_start OR job.retry_at IS NULL OR job.retry_at <= now())
      RETURNING due.window_start, job.attempt`;
    return claimed ? { token, windowStart: claimed.window_start, attempt: claimed.attempt } : null;
  }

  private async execute(job: ScheduledJob, claim: Claim): Promise<void> {
    const { log, leaseMs } = this.options;
    const context = { job: job.name, window_start: claim.windowStart.toISOString(), attempt: claim.attempt };
    log.info(context, 'scheduled job started');
    const lease = new AbortController();
    const lose = (reason: string) => {
      if (lease.signal.aborted) return;
      log.error(context, `scheduled job: ${reason}`);
      lease.abort(new Error(`the lease of ${job.name} was lost: ${reason}`));
    };
    let renewedAt = Date.now();
    const renewal = setInterval(() => {
      this.renew(job, claim).then(
        (held) => {
          if (held) renewedAt = Date.now();
          else lose('its lease was taken over while it runs (this replica stalled past it)');
        },
        (error: unknown) => {
          log.warn({ ...context, err: error }, 'scheduled job: lease renewal failed; retrying');
          if (Date.now() - renewedAt >= leaseMs) lose(`no renewal succeeded for ${leaseMs} ms, so the lease has expired`);
        },
      );
    }, leaseMs / 3);
    let failure: { error: unknown } | null = null;
    try {
      await job.run({ windowStart: claim.windowStart, attempt: claim.attempt, signal: lease.signal });
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(renewal);
    }
    this.runs.inc({ job: job.name, outcome: failure ? 'failure' : 'success' });
    if (failure) log.error({ ...context, err: failure.error, retry_in_ms: retryDelayMs(job.intervalMs, claim.attempt) }, 'scheduled job failed');
    else log.info(context, 'scheduled job succeeded');
    try {
      const recorded = failure ? await this.recordFailure(job, claim, errorText(failure.error)) : await this.recordSuccess(job, claim);
      if (!recorded) log.error(context, 'scheduled job: another replica took its lease over; this outcome is not recorded');
      await this.refresh();
    } catch (error) {
      log.error({ ...context, err: error }, 'scheduled job: recording the outcome failed; another run follows once the lease expires');
    }
  }

  /** False when the lease is no longer this claim's. */
  private async renew(job: ScheduledJob, claim: Claim): Promise<boolean> {
    const renewed = await this.options.prisma.$executeRaw`
      UPDATE platform.scheduled_job SET lease_expires_at = now() + ${this.options.leaseMs}::float8 * interval '1 millisecond'
      WHERE name = ${job.name} AND lease_token = ${claim.token}::uuid`;
    return renewed === 1;
  }

  private async recordSuccess(job: ScheduledJob, claim: Claim): Promise<boolean> {
    const recorded = await this.options.prisma.$executeRaw`
      UPDATE platform.scheduled_job
      SET last_success_window_start = claimed_window_start, last_success_at = now(), last_success_by = lease_owner,
          lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE name = ${job.name} AND lease_token = ${claim.token}::uuid`;
    return recorded === 1;
  }

  private async recordFailure(job: ScheduledJob, claim: Claim, error: string): Promise<boolean> {
    const recorded = await this.options.prisma.$executeRaw`
      UPDATE platform.scheduled_job
      SET last_error = ${error}, last_error_at = now(), last_error_by = lease_owner,
          retry_at = now() + ${retryDelayMs(job.intervalMs, claim.attempt)}::float8 * interval '1 millisecond',
          lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE name = ${job.name} AND lease_token = ${claim.token}::uuid`;
    return recorded === 1;
  }

  /** Reads every job's shared row; ages are taken on the database's clock, then advanced by this process's own. */
  private async refresh(): Promise<void> {
    const names = this.options.jobs.map((job) => job.name);
    const rows = await this.options.prisma.$queryRaw<SharedJobRow[]>`
      SELECT name,
             (extract(epoch FROM now() - coalesce(last_success_at, created_at)) * 1000)::float8 AS "sinceSuccessMs",
             (last_error_at IS NOT NULL AND (last_success_at IS NULL OR last_error_at > last_success_at)) AS failing,
             CASE WHEN lease_expires_at > now() THEN lease_owner END AS "runningOn",
             run_started_at AS "runStartedAt", attempt, claimed_window_start AS "claimedWindowStart",
             last_success_window_start AS "lastSuccessWindowStart", last_success_at AS "lastSuccessAt",
             last_success_by AS "lastSuccessBy", last_error AS "lastError", last_error_at AS "lastErrorAt",
             last_error_by AS "lastErrorBy"
      FROM platform.scheduled_job WHERE name IN (${Prisma.join(names)})`;
    const readAt = Date.now();
    for (const { name, ...state } of rows) {
      this.shared.set(name, { ...state, readAt });
      if (state.lastSuccessAt) this.lastSuccess.set({ job: name }, state.lastSuccessAt.getTime() / 1000);
      const { lastSuccessAt, lastError, lastErrorAt, failing } = state;
      this.options.jobs.find((job) => job.name === name)?.observe?.({ lastSuccessAt, lastError, lastErrorAt, failing });
    }
  }
}
