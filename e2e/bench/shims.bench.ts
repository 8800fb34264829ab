/**
 * npm run bench:shims — legacy REST routes against the same GraphQL operation sent to /graphql,
 * in one run on one machine: what the shim's mapping and envelope cost over the operation it runs.
 */
import os from 'node:os';
import { legacyRoutes } from '@rgb/router';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { printTable, runLoad, type LoadResult, type LoadTarget } from './load';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const bench = await startBenchPlatform();
const { platform } = bench;

try {
  const graphqlUrl = `${platform.routerUrl}/graphql`;
  const registered = await send(`${platform.routerUrl}/api/v1/auth/register`, 'POST', { host: 'localhost', 'content-type': 'application/json' }, JSON.stringify({
    username: 'bench_legacy',
    password: 'bench-password',
    nickname: 'b',
  }));
  const accessToken = JSON.parse(registered.text).data.access_token as string;
  const headers = () => ({ host: 'localhost', 'content-type': 'application/json', authorization: `Bearer ${accessToken}` });
  const answered = (status: number, text: string) => status === 200 && text.includes('"balance":"0.00"') && !text.includes('"errors"');

  /** A legacy GET route, and its own operation (from the route table) sent to /graphql. */
  const pair = (path: string): [LoadTarget, LoadTarget] => {
    const route = legacyRoutes.find((candidate) => candidate.method === 'GET' && candidate.path === path)!;
    const name = /query (\w+)/.exec(route.operation)![1];
    return [
      { name: `legacy: GET ${path}`, url: `${platform.routerUrl}${path}`, method: 'GET', headers, ok: answered },
      { name: `graphql: ${name} (the same operation)`, url: graphqlUrl, headers, body: JSON.stringify({ query: route.operation }), ok: answered },
    ];
  };
  const pairs = [pair('/api/v1/wallet/balance'), pair('/api/v1/member/me')];

  // Warm-up: JIT, connection pools, the document and query plan caches.
  for (const target of pairs.flat()) await runLoad(target, CONCURRENCY, 2);
  const results: LoadResult[][] = [];
  for (const [legacy, graphql] of pairs) results.push([await runLoad(legacy, CONCURRENCY, SECONDS), await runLoad(graphql, CONCURRENCY, SECONDS)]);

  process.stdout.write(`\nbench:shims — ${CONCURRENCY} concurrent clients, ${SECONDS} s each, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}\n\n`);
  printTable(results.flat());
  process.stdout.write('\n');
  for (const [legacy, graphql] of results as [LoadResult, LoadResult][]) {
    process.stdout.write(
      `${legacy.name}: legacy / graphql throughput ${(legacy.perSecond / graphql.perSecond).toFixed(2)}, p50 ${(legacy.p50 - graphql.p50).toFixed(2)} ms, p99 ${(legacy.p99 - graphql.p99).toFixed(2)} ms\n`,
    );
  }
} finally {
  await bench.stop();
}
