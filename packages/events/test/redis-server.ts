// A redis-server of a test's own, for outage tests (the shared Redis is never stopped). Only
// Node's own modules, so the e2e tests use it too.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Waits for a child to exit (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A redis-server of the test's own, without persistence: a restart starts it empty. */
export class RedisServer {
  private child: ChildProcess | null = null;
  private dir = '';
  output = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, on the same port, after `stop`) and resolves once it accepts connections. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.dir ||= await mkdtemp(join(tmpdir(), 'events-redis-'));
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} not ready within ${timeoutMs} ms: ${this.output}`)), timeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onExit = () => settle(new Error(`redis-server exited: ${this.output}`));
      // This run's output only: an earlier run's "Ready" says nothing about this one.
      let run = '';
      const onOutput = (chunk: Buffer) => {
        run += chunk.toString();
        this.output += chunk.toString();
        if (run.includes('Ready to accept connections')) settle();
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.once('exit', onExit);
    });
  }

  /** Stops the server (SIGKILL: an outage, not a shutdown) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
