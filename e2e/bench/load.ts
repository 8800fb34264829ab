import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { send } from '../support/http';

export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export interface LoadTarget {
  name: string;
  url: string;
  /** POST unless given. */
  method?: 'GET' | 'POST';
  headers: () => Record<string, string>;
  /** The request body (none for a GET); a function gives every request its own (fresh ids, say). */
  body?: string | (() => string);
  /** A response counts as an error unless this accepts it. */
  ok: (status: number, text: string) => boolean;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Throughput and latency percentiles of one run from its successful calls' latencies (ms). */
export function summarize(name: string, latencies: number[], errors: number, elapsedSeconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / elapsedSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * Closed loop: `concurrency` callers, each making its next call when the last returns, for
 * `seconds`. `call` resolves true for a success, false (or throws) for an error; a call of several
 * requests resolves their latencies (ms) instead, each counted as one request.
 */
export async function runCallers(
  name: string,
  concurrency: number,
  seconds: number,
  call: (caller: number) => Promise<boolean | number[]>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        try {
          const outcome = await call(caller);
          if (Array.isArray(outcome)) latencies.push(...outcome);
          else if (outcome) latencies.push(performance.now() - begin);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(name, latencies, errors, (performance.now() - started) / 1000);
}

/** Closed-loop load: `concurrency` clients on keep-alive connections, each sending its next request when the last answers. */
export async function runLoad(target: LoadTarget, concurrency: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { body } = target;
  const bodyOf = typeof body === 'function' ? body : () => body;
  try {
    return await runCallers(target.name, concurrency, seconds, async () => {
      const response = await send(target.url, target.method ?? 'POST', target.headers(), bodyOf(), agent);
      return target.ok(response.status, response.text);
    });
  } finally {
    agent.destroy();
  }
}

export function printTable(results: LoadResult[]): void {
  const rows = results.map((r) =>
    `| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} |`,
  );
  const table = ['| target | req/s | p50 ms | p99 ms | requests | errors |', '|---|---:|---:|---:|---:|---:|', ...rows];
  process.stdout.write(`${table.join('\n')}\n`);
}

/** Busy and total jiffies of all CPUs (Linux /proc/stat; zeros elsewhere). */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  try {
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** utime + stime of a process in ms, with its waited-for children's (pgbench) when asked (Linux /proc; NaN elsewhere). */
export async function cpuMs(pid: number, withChildren = false): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const ticks = fields[11]! + fields[12]! + (withChildren ? fields[13]! + fields[14]! : 0);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}
