import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a process that crashed is started again: after a wait that doubles with each crash, up to a cap. */
export interface RestartPolicy {
  /** The wait before restarting after a first crash. */
  initialDelayMs: number;
  /** The longest wait: a process that crashes again and again is retried at this pace, never faster. */
  maxDelayMs: number;
  /** Serving this long since its last start counts as recovered: its next crash waits `initialDelayMs` again. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, resetAfterMs: 60_000 };

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Answers 200 once the process serves. */
  healthUrl: string;
}

/** A process that had started exited on its own. */
export interface Crash {
  service: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Restarts of this process so far, the coming one included. */
  restart: number;
  restartInMs: number;
}

export interface SupervisionEvents {
  /** Each output line of the process, of every run. */
  onOutput?: (service: string, line: string) => void;
  onCrash?: (crash: Crash) => void;
  /** A restarted process answers its health check again. */
  onRestart?: (service: string, restart: number) => void;
}

const RECENT_LINES = 20;
const HEALTH_POLL_MS = 200;

/** `code 1` or `signal SIGKILL`: how a process ended. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * One process the launcher keeps running. `start()` fails fast: it rejects, with the process's
 * last output, when the process exits or is not healthy in time. Once it has started, a crash
 * starts it again after the policy's backoff, until `stop()`.
 */
export class SupervisedProcess {
  private child: ChildProcess | undefined;
  /** Aborted when the current run's process exits, or on stop(): ends its health polling. */
  private run = new AbortController();
  private restartCount = 0;
  private nextDelayMs: number;
  private servingSince: number | null = null;
  private started = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly recent: string[] = [];

  constructor(
    private readonly spec: ProcessSpec,
    private readonly events: SupervisionEvents = {},
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly startTimeoutMs = 60_000,
  ) {
    this.nextDelayMs = policy.initialDelayMs;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The process of the current run (a new one after each restart). */
  get process(): ChildProcess {
    if (!this.child) throw new Error(`${this.spec.name} has not been started`);
    return this.child;
  }

  /** How many times the process was started again after a crash. */
  get restarts(): number {
    return this.restartCount;
  }

  async start(): Promise<void> {
    const child = this.spawnRun();
    let healthy: boolean;
    try {
      healthy = await waitForHealth(this.spec.healthUrl, this.run.signal, this.startTimeoutMs);
    } catch (error) {
      throw new Error(`${this.spec.name}: ${(error as Error).message}\n${this.recent.join('\n')}`);
    }
    if (!healthy) {
      const how = this.stopping ? 'was stopped' : `exited with ${describeExit(child.exitCode, child.signalCode)}`;
      throw new Error(`${this.spec.name} ${how} during start:\n${this.recent.join('\n')}`);
    }
    this.started = true;
    this.servingSince = Date.now();
  }

  /** Cancels a pending restart and stops the current process (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.run.abort();
    if (this.child) await terminate(this.child, graceMs);
  }

  private spawnRun(): ChildProcess {
    const run = new AbortController();
    this.run = run;
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each
      // service in order; the stdin pipe tells a service when the launcher is gone.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (buffered + chunk).split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) this.output(line);
      });
    }
    child.once('error', (error) => {
      this.output(`could not run: ${error.message}`);
      run.abort();
    });
    child.once('exit', (code, signal) => {
      run.abort();
      this.exited(code, signal);
    });
    return child;
  }

  private output(line: string): void {
    this.recent.push(line);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    this.events.onOutput?.(this.spec.name, line);
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    // Before its first start succeeded, start() reports the exit; after stop(), it was asked for.
    if (!this.started || this.stopping) return;
    if (this.servingSince !== null && Date.now() - this.servingSince >= this.policy.resetAfterMs) {
      this.nextDelayMs = this.policy.initialDelayMs;
    }
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, this.policy.maxDelayMs);
    this.servingSince = null;
    this.restartCount += 1;
    const restart = this.restartCount;
    this.events.onCrash?.({ service: this.spec.name, code, signal, restart, restartInMs: delay });
    this.restartTimer = setTimeout(() => void this.restart(restart), delay);
  }

  private async restart(restart: number): Promise<void> {
    if (this.stopping) return;
    this.spawnRun();
    // No deadline: a process that comes up unhealthy (its database is down) is left to recover,
    // and one that exits is restarted by its exit.
    if (await waitForHealth(this.spec.healthUrl, this.run.signal)) {
      this.servingSince = Date.now();
      this.events.onRestart?.(this.spec.name, restart);
    }
  }
}

/**
 * Polls `url` until it answers 200 (true) or `signal` aborts (false). Past `timeoutMs` it throws
 * with the last answer.
 */
async function waitForHealth(url: string, signal: AbortSignal, timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (!signal.aborted) {
    if (Date.now() >= deadline) throw new Error(`${url} not healthy within ${timeoutMs} ms: ${last}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(1_000)]) });
      const body = await response.text();
      if (response.ok) return !signal.aborted;
      last = `${response.status} ${body}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(HEALTH_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

/** SIGTERM (graceful drain), then SIGKILL if the process does not exit in time. */
function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
