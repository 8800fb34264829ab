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
  headers: () => Record<string, string>;
  body: string;
  /** A response counts as an error unless this accepts it. */
  ok: (status: number, text: string) => boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Closed-loop load: `concurrency` clients on keep-alive connections, each sending its next request when the last answers. */
export async function runLoad(target: LoadTarget, concurrency: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        try {
          const response = await send(target.url, 'POST', target.headers(), target.body, agent);
          if (target.ok(response.status, response.text)) latencies.push(performance.now() - begin);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name: target.name,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export function printTable(results: LoadResult[]): void {
  const rows = results.map((r) =>
    `| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} |`,
  );
  const table = ['| target | req/s | p50 ms | p99 ms | requests | errors |', '|---|---:|---:|---:|---:|---:|', ...rows];
  process.stdout.write(`${table.join('\n')}\n`);
}
