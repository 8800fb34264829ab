/**
 * npm run bench:topinfo — staff screens subscribed to `topInfo` over graphql-ws on one router:
 * 1,000 and 10,000 subscribers on one brand, and spread over `demo` and `acme`. Each round a
 * player requests a deposit on every brand of the scenario; measured is the time from sending
 * that request to each subscriber's update (p50, p99, and the last subscriber's), split at the
 * admin subgraph's reading of the new figures (what precedes the push, and the push), the upstream
 * subscriptions the router opened, and the router's memory per subscriber. The subscribers run
 * in this process, on the same 2-core machine as every service. The baseline, in the same run:
 * the same numbers of sockets written by a process that does nothing else (fanout-floor.ts).
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { WebSocket } from 'ws';
import { send } from '../support/http';
import { startBenchPlatform } from './bench-platform';
import { percentile } from './load';

const SIZES = (process.env.BENCH_SUBSCRIBERS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
/** Sockets opened at once while subscribing. */
const OPENING = 200;
const QUERY = 'subscription { topInfo { pendingDepositCount pendingDepositAmount pendingWithdrawalCount newPlayersToday updatedAt } }';
const HOSTS = { demo: 'localhost', acme: 'acme.localhost' } as const;
/** Each brand's smallest deposit (its seeded limit): 10.00 USD, 10000 KRW. */
const DEPOSIT_AMOUNTS = { demo: '10.00', acme: '10000' } as const;
type BrandCode = keyof typeof HOSTS;

const bench = await startBenchPlatform();
const { platform } = bench;
const router = platform.services.find((service) => service.name === 'router')!;
const wsUrl = `${platform.routerUrl.replace(/^http/, 'ws')}/graphql`;

async function graphql<T>(query: string, variables: Record<string, unknown>, host: string, token?: string): Promise<T> {
  const headers: Record<string, string> = { host, 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const answer = JSON.parse((await send(`${platform.routerUrl}/graphql`, 'POST', headers, JSON.stringify({ query, variables }))).text);
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data as T;
}

/** A figure of the router's /metrics (the sum over its labels). */
async function routerMetric(name: string): Promise<number> {
  const text = (await send(`${router.metricsUrl}/metrics`, 'GET', {})).text;
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

interface Subscriber {
  socket: WebSocket;
  brand: BrandCode;
  /** The pending deposit count of each update, when it came, and when the admin subgraph read it (`updatedAt`), on the same clock. */
  onCount: (count: number, at: number, readAt: number) => void;
}

/** One staff screen: connection_init with the token, then the subscription; resolves on its first result. */
function subscribe(brand: BrandCode, token: string, url = wsUrl): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { host: HOSTS[brand] }, perMessageDeflate: false });
    const subscriber: Subscriber = { socket, brand, onCount: () => {} };
    let first = true;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"type":"connection_ack"')) {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
        return;
      }
      // Read without parsing the whole message: the bench process must not be the bottleneck it measures.
      const count = /"pendingDepositCount":(\d+)/.exec(text);
      if (!count) return reject(new Error(`unexpected message: ${text}`));
      if (first) {
        first = false;
        resolve(subscriber);
      }
      const readAt = Date.parse(/"updatedAt":"([^"]+)"/.exec(text)![1]!) - performance.timeOrigin;
      subscriber.onCount(Number(count[1]), performance.now(), readAt);
    });
    socket.on('error', reject);
    socket.on('close', (code) => {
      if (first) reject(new Error(`closed with ${code} before its first result`));
    });
  });
}

async function openSubscribers(count: number, brands: BrandCode[], tokens: Record<BrandCode, string>, url = wsUrl): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  for (let start = 0; start < count; start += OPENING) {
    const batch = Array.from({ length: Math.min(OPENING, count - start) }, (_, index) => brands[(start + index) % brands.length]!);
    subscribers.push(...(await Promise.all(batch.map((brand) => subscribe(brand, tokens[brand], url)))));
  }
  return subscribers;
}

/**
 * Waits for `expected` pending deposits to reach every subscriber of its brand after `trigger`
 * (which returns when each brand's change was set off): each delivery's delay from its brand's
 * trigger and from the figures' reading, the round's slowest, and, per brand, the delay from its
 * trigger to the reading of its new figures (before anything is pushed).
 */
async function round(subscribers: Subscriber[], expected: Partial<Record<BrandCode, number>>, trigger: (sentAt: Partial<Record<BrandCode, number>>) => Promise<void>) {
  const sentAt: Partial<Record<BrandCode, number>> = {};
  const delays: number[] = [];
  const fanOuts: number[] = [];
  const reads = new Map<BrandCode, number>();
  let waiting = subscribers.length;
  let last = 0;
  const allUpdated = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${waiting} subscribers without the update after 30 s`)), 30_000);
    for (const subscriber of subscribers) {
      subscriber.onCount = (seen, at, readAt) => {
        if (seen !== expected[subscriber.brand]) return;
        subscriber.onCount = () => {};
        const delay = at - sentAt[subscriber.brand]!;
        delays.push(delay);
        fanOuts.push(at - readAt);
        if (!reads.has(subscriber.brand)) reads.set(subscriber.brand, readAt - sentAt[subscriber.brand]!);
        last = Math.max(last, delay);
        if (--waiting === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
    }
  });
  await trigger(sentAt);
  await allUpdated;
  return { delays, fanOuts, last, reads: [...reads.values()] };
}

async function closeSubscribers(subscribers: Subscriber[]): Promise<void> {
  for (const { socket } of subscribers) socket.close(1000);
  for (let waited = 0; (await routerMetric('live_subscribers')) > 0; waited += 100) {
    if (waited > 30_000) throw new Error('subscribers still open on the router after 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ScenarioResult {
  name: string;
  subscribers: number;
  p50: number;
  p99: number;
  /** From the request to the admin subgraph's reading of the new figures (one per brand and round): what precedes the push. */
  readP50: number;
  readMax: number;
  /** From the admin subgraph's reading of the new figures to the subscriber: the push through the router. */
  fanOutP50: number;
  fanOutP99: number;
  lastP50: number;
  lastMax: number;
  upstreams: number;
  rssPerSubscriberKiB: number;
  heapPerSubscriberKiB: number;
}

const staffTokens = {} as Record<BrandCode, string>;
const playerTokens = {} as Record<BrandCode, string>;
const pending = { demo: 0, acme: 0 } as Record<BrandCode, number>;

async function scenario(count: number, brands: BrandCode[]): Promise<ScenarioResult> {
  const name = `${count.toLocaleString('en')} subscribers, ${brands.length === 1 ? `one brand (${brands[0]})` : `spread over ${brands.join(' and ')}`}`;
  process.stderr.write(`bench:topinfo — ${name}: subscribing\n`);
  const upstreamsBefore = await routerMetric('live_upstream_subscriptions_opened_total');
  const rssBefore = await routerMetric('process_resident_memory_bytes');
  const heapBefore = await routerMetric('nodejs_heap_size_used_bytes');
  const subscribers = await openSubscribers(count, brands, staffTokens);
  const rssAfter = await routerMetric('process_resident_memory_bytes');
  const heapAfter = await routerMetric('nodejs_heap_size_used_bytes');

  const delays: number[] = [];
  const lasts: number[] = [];
  const fanOuts: number[] = [];
  const reads: number[] = [];
  for (let turn = 0; turn < ROUNDS; turn++) {
    const expected = Object.fromEntries(brands.map((brand) => [brand, pending[brand] + 1]));
    const measured = await round(subscribers, expected, (sentAt) =>
      Promise.all(
        brands.map(async (brand) => {
          sentAt[brand] = performance.now();
          await graphql(`mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`, { input: { amount: DEPOSIT_AMOUNTS[brand], depositorName: 'Bench' } }, HOSTS[brand], playerTokens[brand]);
          pending[brand]++;
        }),
      ).then(() => undefined),
    );
    delays.push(...measured.delays);
    fanOuts.push(...measured.fanOuts);
    reads.push(...measured.reads);
    lasts.push(measured.last);
  }
  const upstreams = (await routerMetric('live_upstream_subscriptions_opened_total')) - upstreamsBefore;
  await closeSubscribers(subscribers);

  delays.sort((a, b) => a - b);
  lasts.sort((a, b) => a - b);
  fanOuts.sort((a, b) => a - b);
  reads.sort((a, b) => a - b);
  return {
    name,
    subscribers: count,
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    readP50: percentile(reads, 50),
    readMax: reads.at(-1)!,
    fanOutP50: percentile(fanOuts, 50),
    fanOutP99: percentile(fanOuts, 99),
    lastP50: percentile(lasts, 50),
    lastMax: lasts.at(-1)!,
    upstreams,
    rssPerSubscriberKiB: (rssAfter - rssBefore) / count / 1024,
    heapPerSubscriberKiB: (heapAfter - heapBefore) / count / 1024,
  };
}

interface FloorResult {
  subscribers: number;
  p50: number;
  p99: number;
  lastP50: number;
  lastMax: number;
}

/** The baseline: `count` sockets of this process written by one that only writes (fanout-floor.ts). */
async function floor(count: number): Promise<FloorResult> {
  process.stderr.write(`bench:topinfo — floor, ${count.toLocaleString('en')} sockets\n`);
  const writer = fork(new URL('./fanout-floor.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      writer.once('message', (message) => resolve(message as { port: number }));
      writer.once('error', reject);
    });
    const subscribers = await openSubscribers(count, ['demo'], staffTokens, `ws://127.0.0.1:${port}`);
    const delays: number[] = [];
    const lasts: number[] = [];
    for (let turn = 1; turn <= ROUNDS; turn++) {
      const measured = await round(subscribers, { demo: turn }, async (sentAt) => {
        sentAt.demo = performance.now();
        writer.send({ pendingDepositCount: turn });
      });
      delays.push(...measured.delays);
      lasts.push(measured.last);
    }
    for (const { socket } of subscribers) socket.close(1000);
    delays.sort((a, b) => a - b);
    lasts.sort((a, b) => a - b);
    return { subscribers: count, p50: percentile(delays, 50), p99: percentile(delays, 99), lastP50: percentile(lasts, 50), lastMax: lasts.at(-1)! };
  } finally {
    writer.disconnect();
  }
}

try {
  for (const brand of Object.keys(HOSTS) as BrandCode[]) {
    const host = HOSTS[brand];
    staffTokens[brand] = (
      await graphql<{ staffLogin: { accessToken: string } }>(
        'mutation ($input: LoginInput!) { staffLogin(input: $input) { accessToken } }',
        { input: { username: 'admin', password: 'bench-admin-password' } },
        host,
      )
    ).staffLogin.accessToken;
    playerTokens[brand] = (
      await graphql<{ registerPlayer: { accessToken: string } }>(
        'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
        { input: { username: `bench_${brand}`, password: 'bench-password', nickname: 'b' } },
        host,
      )
    ).registerPlayer.accessToken;
  }
  // Warm-up: JIT, pools, the upstream path.
  await scenario(100, ['demo', 'acme']);

  const results: ScenarioResult[] = [];
  const floors: FloorResult[] = [];
  for (const size of SIZES) {
    results.push(await scenario(size, ['demo']));
    results.push(await scenario(size, ['demo', 'acme']));
    floors.push(await floor(size));
  }

  process.stdout.write(`\nbench:topinfo — ${ROUNDS} rounds each, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}\n\n`);
  process.stdout.write(
    '| scenario | request → update p50 / p99 | last subscriber p50 / max | request → figures read p50 / max | figures read → update p50 / p99 | upstream subscriptions opened | router RSS / heap per subscriber |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
  const ms = (value: number) => value.toFixed(0);
  for (const result of results) {
    process.stdout.write(
      `| ${result.name} | ${ms(result.p50)} / ${ms(result.p99)} ms | ${ms(result.lastP50)} / ${ms(result.lastMax)} ms | ${ms(result.readP50)} / ${ms(result.readMax)} ms | ${ms(result.fanOutP50)} / ${ms(result.fanOutP99)} ms | ${result.upstreams} | ${result.rssPerSubscriberKiB.toFixed(1)} / ${result.heapPerSubscriberKiB.toFixed(1)} KiB |\n`,
    );
  }
  process.stdout.write('\nBaseline: the same sockets written by a process that does nothing else (one serialization, one send per socket)\n\n');
  process.stdout.write('| sockets | trigger → update p50 / p99 | last socket p50 / max |\n|---|---:|---:|\n');
  for (const result of floors) {
    process.stdout.write(`| ${result.subscribers.toLocaleString('en')} | ${ms(result.p50)} / ${ms(result.p99)} ms | ${ms(result.lastP50)} / ${ms(result.lastMax)} ms |\n`);
  }
} finally {
  await bench.stop();
}
