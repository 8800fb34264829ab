import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { PrismaClient } from '@rgb/db';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { createHttpApp, type HealthCheck } from './http-app';
import type { Metrics } from './metrics';
import { errorText, JOB_DEFAULTS, JobScheduler, type ScheduledJob } from './scheduled-jobs';

/** What one turn of a loop did: how many items it moved, and whether work is still waiting. */
export interface TickResult {
  worked: number;
  /** True when the loop knows more work is waiting (a full batch, a consumer lag). */
  pending: boolean;
}

/**
 * A loop runs `tick` again and again: after `idleDelayMs` when a turn did nothing (sooner when
 * its `wakeChannel` rings), after `lingerMs` when it worked and left nothing waiting, at once
 * when work is still waiting.
 */
export interface WorkerLoop {
  name: string;
  tick(): Promise<TickResult>;
  idleDelayMs?: number;
  /**
   * A pause after a turn that caught up, so that work trickling in is taken in batches rather
   * than one item per turn (each turn has a fixed cost: a transaction, a round trip). None by default.
   */
  lingerMs?: number;
  /**
   * A Redis channel rung when work arrives for this loop (kit's Doorbell): a ring ends its idle
   * sleep, or, during a turn, skips the next one (the turn may have looked before the work came).
   * The idle poll stays for rings that are lost.
   */
  wakeChannel?: string;
  /** Extra facts for /health (dead letters, lag...). */
  describe?(): Record<string, unknown>;
}

export interface WorkerOptions {
  name: string;
  log: Logger;
  metrics: Metrics;
  loops: WorkerLoop[];
  /** Run once per window across every replica, claimed through `prisma` (platform.scheduled_job). */
  jobs?: ScheduledJob[];
  /** Where jobs are claimed; required with jobs. */
  prisma?: PrismaClient;
  /** Names this replica in the job table (who holds, ran or failed a job); `name@host:pid:random` by default. */
  instanceId?: string;
  /** A job's claim lasts this long and is renewed every third of it while it runs (30 s). */
  jobLeaseMs?: number;
  /** How often due jobs are claimed and the jobs' shared state read (1 s). */
  jobPollMs?: number;
  /** Dependencies checked by /health on top of the loops (database...). */
  checks?: Record<string, HealthCheck>;
  /**
   * Checks of `checks` that /ready skips too (see createHttpApp). It always skips `progress`, the
   * loops' and jobs': a job's failed run is shared by every replica (a ledger mismatch waits for a
   * person), so gating on it would unready them all and block node drains and rollouts.
   */
  informational?: readonly string[];
  heartbeatFile?: string;
  /** A loop failing without a break for this long is unhealthy. */
  failureGraceMs?: number;
  /** A loop with work waiting and no progress for this long is unhealthy. */
  stallAfterMs?: number;
  heartbeatIntervalMs?: number;
}

interface LoopState {
  loop: WorkerLoop;
  tickStartedAt: number | null;
  lastProgressAt: number;
  pending: boolean;
  failingSince: number | null;
  lastError: string | null;
  running: Promise<void> | null;
  /** Rung since its turn began: its next idle sleep is skipped. */
  rung: boolean;
  /** Ends the idle sleep it is in, if any. */
  wakeFromIdle: (() => void) | null;
}

export interface Worker {
  app: FastifyInstance;
  start(): void;
  /**
   * Stops taking new turns and claiming jobs, lets every turn and job in hand finish (a job keeps
   * renewing its lease and records its outcome), and closes the HTTP server.
   */
  stop(): Promise<void>;
  /** Reasons the worker is unhealthy; empty when every loop and job makes progress. */
  problems(): string[];
  /** A ring of `channel`: wakes the loops whose `wakeChannel` it is. */
  wake(channel: string): void;
}

/**
 * The one way to run background work (ADR-003): health means forward progress. A loop that
 * keeps failing, a loop with work waiting that stops progressing, and a job that missed its
 * window or whose last run failed (on whichever replica: jobs' state is shared, see
 * JobScheduler) each turn /health (503, with the reason) and the heartbeat file unhealthy, and
 * each recovers by itself once the work moves again. /ready is left to the dependencies' checks.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { log, metrics } = options;
  const failureGraceMs = options.failureGraceMs ?? 10_000;
  const stallAfterMs = options.stallAfterMs ?? 30_000;
  const stopping = new AbortController();
  const jobs = options.jobs ?? [];
  let scheduler: JobScheduler | null = null;
  if (jobs.length > 0) {
    if (!options.prisma) throw new Error(`${options.name}: scheduled jobs are claimed through PostgreSQL; pass prisma`);
    scheduler = new JobScheduler({
      prisma: options.prisma,
      log,
      metrics,
      jobs,
      instanceId: options.instanceId ?? `${options.name}@${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`,
      leaseMs: options.jobLeaseMs ?? JOB_DEFAULTS.leaseMs,
      pollMs: options.jobPollMs ?? JOB_DEFAULTS.pollMs,
      failureGraceMs,
      stopping: stopping.signal,
    });
  }
  const loops: LoopState[] = [...options.loops, ...(scheduler ? [scheduler.loop] : [])].map((loop) => ({
    loop,
    tickStartedAt: null,
    lastProgressAt: Date.now(),
    pending: false,
    failingSince: null,
    lastError: null,
    running: null,
    rung: false,
    wakeFromIdle: null,
  }));
  const healthy = new Gauge({
    name: 'worker_healthy',
    help: '1 while every loop and job of the worker makes progress',
    registers: [metrics.registry],
    collect() {
      this.set(problems().length === 0 ? 1 : 0);
    },
  });
  void healthy;

  function problems(now = Date.now()): string[] {
    const found: string[] = [];
    for (const state of loops) {
      const name = state.loop.name;
      if (state.tickStartedAt !== null && now - state.tickStartedAt >= stallAfterMs) {
        found.push(`${name}: one turn has run for ${Math.round((now - state.tickStartedAt) / 1000)} s`);
      } else if (state.failingSince !== null && now - state.failingSince >= failureGraceMs) {
        found.push(`${name}: failing for ${Math.round((now - state.failingSince) / 1000)} s: ${state.lastError}`);
      } else if (state.pending && now - state.lastProgressAt >= stallAfterMs) {
        found.push(`${name}: no progress for ${Math.round((now - state.lastProgressAt) / 1000)} s with work waiting`);
      }
    }
    if (scheduler) found.push(...scheduler.problems(now));
    return found;
  }

  const app = createHttpApp<string>({
    log,
    metrics,
    checks: {
      ...options.checks,
      progress: async () => {
        const found = problems();
        if (found.length > 0) throw new Error(found.join('; '));
      },
    },
    informational: ['progress', ...(options.informational ?? [])],
    details: () => ({
      loops: loops.map((state) => ({
        name: state.loop.name,
        lastProgressAt: new Date(state.lastProgressAt).toISOString(),
        pending: state.pending,
        lastError: state.lastError,
        ...state.loop.describe?.(),
      })),
      jobs: scheduler?.describe() ?? [],
    }),
  });
  // Ends early when the worker stops, also when it stopped before the sleep began (a turn that
  // finished after stop() must not sit out its idle delay), and leaves no listener behind: a
  // loop sleeps after every idle turn, forever. An idle sleep (given its loop's state) also ends
  // when the loop is rung.
  const sleep = (ms: number, state?: LoopState) =>
    new Promise<void>((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const wake = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', wake);
        if (state) state.wakeFromIdle = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      stopping.signal.addEventListener('abort', wake, { once: true });
      if (state) state.wakeFromIdle = wake;
    });

  async function runLoop(state: LoopState): Promise<void> {
    let backoffMs = 100;
    while (!stopping.signal.aborted) {
      state.tickStartedAt = Date.now();
      state.rung = false;
      try {
        const result = await state.loop.tick();
        state.tickStartedAt = null;
        const now = Date.now();
        if (state.failingSince !== null) log.info({ loop: state.loop.name }, 'loop recovered');
        state.failingSince = null;
        state.lastError = null;
        state.pending = result.pending;
        backoffMs = 100;
        if (result.worked > 0 || !result.pending) state.lastProgressAt = now;
        if (result.worked === 0) {
          // Rung during the turn: the work may have come after the turn looked; look again at once.
          if (!state.rung) await sleep(state.loop.idleDelayMs ?? 50, state);
        } else if (!result.pending && state.loop.lingerMs) await sleep(state.loop.lingerMs);
      } catch (error) {
        state.tickStartedAt = null;
        state.failingSince ??= Date.now();
        state.lastError = errorText(error);
        log.error({ err: error, loop: state.loop.name, retry_in_ms: backoffMs }, 'loop turn failed');
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  let heartbeat: NodeJS.Timeout | null = null;
  let heartbeatWriting = false;
  async function writeHeartbeat(): Promise<void> {
    // One write at a time: two writers of the temporary file could rename a half-written one.
    if (!options.heartbeatFile || heartbeatWriting) return;
    heartbeatWriting = true;
    const found = problems();
    const body = JSON.stringify({ status: found.length === 0 ? 'ok' : 'unhealthy', checked_at: new Date().toISOString(), problems: found });
    // Written aside and renamed over: a supervisor never reads a half-written (empty) file.
    const temporary = `${options.heartbeatFile}.${process.pid}.tmp`;
    await writeFile(temporary, `${body}\n`)
      .then(() => rename(temporary, options.heartbeatFile!))
      .catch((error: unknown) => log.error({ err: error }, 'heartbeat write failed'))
      .finally(() => {
        heartbeatWriting = false;
      });
  }

  return {
    app,
    problems,
    wake(channel) {
      for (const state of loops) {
        if (state.loop.wakeChannel !== channel) continue;
        if (state.wakeFromIdle) state.wakeFromIdle();
        else state.rung = true;
      }
    },
    start() {
      for (const state of loops) state.running = runLoop(state);
      void writeHeartbeat();
      heartbeat = setInterval(() => void writeHeartbeat(), options.heartbeatIntervalMs ?? 5_000);
      log.info({ loops: loops.map((s) => s.loop.name), jobs: jobs.map((job) => job.name) }, `${options.name} started`);
    },
    async stop() {
      stopping.abort();
      if (heartbeat) clearInterval(heartbeat);
      await Promise.all(loops.map((s) => s.running));
      // After the loops: the scheduler's last turn may have claimed a job. A job in hand runs to
      // its end, renewing its lease, and records its outcome before the worker (and Prisma) closes.
      await scheduler?.drain();
      await app.close();
    },
  };
}
