import { rename, writeFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { createHttpApp, type HealthCheck } from './http-app';
import type { Metrics } from './metrics';

/** What one turn of a loop did: how many items it moved, and whether work is still waiting. */
export interface TickResult {
  worked: number;
  /** True when the loop knows more work is waiting (a full batch, a consumer lag). */
  pending: boolean;
}

/** A loop runs `tick` again and again: at once after a turn that worked, after `idleDelayMs` otherwise. */
export interface WorkerLoop {
  name: string;
  tick(): Promise<TickResult>;
  idleDelayMs?: number;
  /** Extra facts for /health (dead letters, lag...). */
  describe?(): Record<string, unknown>;
}

/** A job runs every `intervalMs`; a job whose last success is older than that (plus grace) missed its window. */
export interface ScheduledJob {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

export interface WorkerOptions {
  name: string;
  log: Logger;
  metrics: Metrics;
  loops: WorkerLoop[];
  jobs?: ScheduledJob[];
  /** Dependencies checked by /health on top of the loops (database...). */
  checks?: Record<string, HealthCheck>;
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
}

interface JobState {
  job: ScheduledJob;
  startedAt: number;
  lastSuccessAt: number | null;
  lastError: string | null;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

export interface Worker {
  app: FastifyInstance;
  start(): void;
  /** Stops taking new turns, lets every turn in hand finish, and closes the HTTP server. */
  stop(): Promise<void>;
  /** Reasons the worker is unhealthy; empty when every loop and job makes progress. */
  problems(): string[];
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'error';

/**
 * The one way to run background work (ADR-003): health means forward progress. A loop that
 * keeps failing, a loop with work waiting that stops progressing, and a job that missed its
 * window each turn /health (503, with the reason) and the heartbeat file unhealthy, and each
 * recovers by itself once the work moves again.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { log, metrics } = options;
  const failureGraceMs = options.failureGraceMs ?? 10_000;
  const stallAfterMs = options.stallAfterMs ?? 30_000;
  const stopping = new AbortController();
  const loops: LoopState[] = options.loops.map((loop) => ({
    loop,
    tickStartedAt: null,
    lastProgressAt: Date.now(),
    pending: false,
    failingSince: null,
    lastError: null,
    running: null,
  }));
  const jobs: JobState[] = (options.jobs ?? []).map((job) => ({
    job,
    startedAt: Date.now(),
    lastSuccessAt: null,
    lastError: null,
    timer: null,
    running: null,
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
    for (const state of jobs) {
      const since = state.lastSuccessAt ?? state.startedAt;
      if (now - since >= state.job.intervalMs + failureGraceMs) {
        found.push(`${state.job.name}: missed its window (last success ${state.lastSuccessAt ? new Date(state.lastSuccessAt).toISOString() : 'never'}${state.lastError ? `, last error: ${state.lastError}` : ''})`);
      } else if (state.lastError) {
        found.push(`${state.job.name}: last run failed: ${state.lastError}`);
      }
    }
    return found;
  }

  const app = createHttpApp({
    log,
    metrics,
    checks: {
      ...options.checks,
      progress: async () => {
        const found = problems();
        if (found.length > 0) throw new Error(found.join('; '));
      },
    },
    details: () => ({
      loops: loops.map((state) => ({
        name: state.loop.name,
        lastProgressAt: new Date(state.lastProgressAt).toISOString(),
        pending: state.pending,
        lastError: state.lastError,
        ...state.loop.describe?.(),
      })),
      jobs: jobs.map((state) => ({
        name: state.job.name,
        lastSuccessAt: state.lastSuccessAt && new Date(state.lastSuccessAt).toISOString(),
        lastError: state.lastError,
      })),
    }),
  });
  // Ends early when the worker stops, also when it stopped before the sleep began (a turn that
  // finished after stop() must not sit out its idle delay), and leaves no listener behind: a
  // loop sleeps after every idle turn, forever.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const wake = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      stopping.signal.addEventListener('abort', wake, { once: true });
    });

  async function runLoop(state: LoopState): Promise<void> {
    let backoffMs = 100;
    while (!stopping.signal.aborted) {
      state.tickStartedAt = Date.now();
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
        if (result.worked === 0) await sleep(state.loop.idleDelayMs ?? 50);
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

  async function runJob(state: JobState): Promise<void> {
    try {
      await state.job.run();
      state.lastSuccessAt = Date.now();
      state.lastError = null;
    } catch (error) {
      state.lastError = errorText(error);
      log.error({ err: error, job: state.job.name }, 'scheduled job failed');
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
    start() {
      for (const state of loops) state.running = runLoop(state);
      for (const state of jobs) {
        const fire = () => {
          if (stopping.signal.aborted || state.running) return;
          state.running = runJob(state).finally(() => {
            state.running = null;
          });
        };
        fire();
        state.timer = setInterval(fire, state.job.intervalMs);
      }
      void writeHeartbeat();
      heartbeat = setInterval(() => void writeHeartbeat(), options.heartbeatIntervalMs ?? 5_000);
      log.info({ loops: loops.map((s) => s.loop.name), jobs: jobs.map((s) => s.job.name) }, `${options.name} started`);
    },
    async stop() {
      stopping.abort();
      for (const state of jobs) if (state.timer) clearInterval(state.timer);
      if (heartbeat) clearInterval(heartbeat);
      await Promise.all([...loops.map((s) => s.running), ...jobs.map((s) => s.running)]);
      await app.close();
    },
  };
}
