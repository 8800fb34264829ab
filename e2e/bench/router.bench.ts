/**
 * npm run bench:router — the `me` query through the router against the same query sent
 * straight to the player subgraph (with a context token signed as the router signs it), in
 * one run on one machine, and the ratio. Every process is real; the load comes from this one.
 */
import os from 'node:os';
import { decodeJwt } from 'jose';
import { ContextTokens } from '@rgb/kit';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { printTable, runLoad, type LoadTarget } from './load';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const bench = await startBenchPlatform();
const { platform, secrets } = bench;

try {
  const graphqlUrl = `${platform.routerUrl}/graphql`;
  const registered = await send(graphqlUrl, 'POST', { host: 'localhost', 'content-type': 'application/json' }, JSON.stringify({
    query: 'mutation { registerPlayer(input: { username: "bench_player", password: "bench-password", nickname: "b" }) { accessToken } }',
  }));
  const accessToken = JSON.parse(registered.text).data.registerPlayer.accessToken as string;
  const claims = decodeJwt(accessToken) as { sub: string; brand_id: string; sid: string };
  const contextTokens = new ContextTokens(secrets.INTERNAL_JWT_SECRET, 'bench');
  const forwarded = {
    brand: { id: claims.brand_id, code: 'demo', currency: 'USD' },
    caller: { kind: 'player' as const, id: claims.sub, brandId: claims.brand_id, sessionId: claims.sid },
  };
  let contextToken = await contextTokens.sign(forwarded);
  const refresh = setInterval(async () => (contextToken = await contextTokens.sign(forwarded)), 30_000);

  const me = JSON.stringify({ query: '{ me { id username } }' });
  const answered = (status: number, text: string) => status === 200 && text.includes('"username":"bench_player"');
  const throughRouter: LoadTarget = {
    name: 'router: me { id username }',
    url: graphqlUrl,
    headers: () => ({ host: 'localhost', 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }),
    body: me,
    ok: answered,
  };
  const direct: LoadTarget = {
    name: 'player subgraph direct: me { id username }',
    url: `${platform.services.find((s) => s.name === 'player')!.url}/graphql`,
    headers: () => ({ 'content-type': 'application/json', 'x-rgb-context': contextToken }),
    body: me,
    ok: answered,
  };
  const withWallet: LoadTarget = {
    ...throughRouter,
    name: 'router: me { id username wallet { balance currency } } (2 subgraphs)',
    body: JSON.stringify({ query: '{ me { id username wallet { balance currency } } }' }),
  };

  await runLoad(throughRouter, CONCURRENCY, 2); // warm-up: JIT, connection pools, query plan cache
  await runLoad(direct, CONCURRENCY, 2);
  const results = [];
  for (const target of [direct, throughRouter, withWallet]) results.push(await runLoad(target, CONCURRENCY, SECONDS));
  clearInterval(refresh);

  process.stdout.write(`\nbench:router — ${CONCURRENCY} concurrent clients, ${SECONDS} s each, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}\n\n`);
  printTable(results);
  const [subgraph, router] = results;
  process.stdout.write(`\nrouter / direct subgraph throughput: ${(router!.perSecond / subgraph!.perSecond).toFixed(2)}\n`);
  process.stdout.write(`router p50 overhead: ${(router!.p50 - subgraph!.p50).toFixed(2)} ms, p99 overhead: ${(router!.p99 - subgraph!.p99).toFixed(2)} ms\n`);
} finally {
  await bench.stop();
}
