// npm run bench:footprint — the local platform's start time and memory, one process per service
// against every service in one process, each from TypeScript (tsx, as npm start) and compiled
// (npm run build, as the images). Prints markdown tables.
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { compiledEntry, DEFAULT_PORTS, type PlatformMode, SERVICES } from '@rgb/platform';
import { buildAll } from '@rgb/platform/build';
import { freePlatformPorts } from '../support/http';
import { launchPlatform } from '../support/launcher';
import { isolatedRedisUrl } from '../support/platform';

/** How long the platform idles after its last /health turned green before its memory is read. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3_000);
const RUNS: { mode: PlatformMode; build: 'typescript' | 'compiled' }[] = [
  { mode: 'processes', build: 'typescript' },
  { mode: 'single', build: 'typescript' },
  { mode: 'processes', build: 'compiled' },
  { mode: 'single', build: 'compiled' },
];
const TARGET = { rssMb: 600, healthyMs: 10_000 };

const out = (line = '') => process.stdout.write(`${line}\n`);
const mb = (kb: number) => kb / 1024;

/** VmRSS of a process in kB (0 once it is gone). */
function rssKb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((row) => row.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; 0 once it is gone). */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) start at the state: utime and stime are the 12th and 13th of those.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process and every descendant, from /proc (Linux). */
function processTree(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return [pid, ...children.flatMap(processTree)];
}

/** Which process this is: the launcher, a service by its entry, or what it runs. */
function nameOf(pid: number, launcher: number): string {
  if (pid === launcher) return 'launcher';
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const service = SERVICES.find((spec) => args.includes(spec.entry) || args.includes(compiledEntry(spec.entry)));
  return service?.name ?? args.map((arg) => arg.split('/').pop()).join(' ').slice(0, 40);
}

/** The documented ports (docs/SERVICES.md) when every one is free, free ports otherwise (a platform already runs). */
async function portsToUse(): Promise<{ ports: Record<string, number>; which: string }> {
  const free = await Promise.all(
    Object.values(DEFAULT_PORTS).map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const server = createServer().once('error', () => resolve(false));
          server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
        }),
    ),
  );
  return free.every(Boolean) ? { ports: { ...DEFAULT_PORTS }, which: 'documented ports' } : { ports: await freePlatformPorts(), which: 'free ports' };
}

interface Start {
  healthyMs: number;
  /** CPU seconds the whole tree used until every /health was green: what the start costs whatever else runs. */
  cpuSeconds: number;
  processes: { name: string; rssMb: number }[];
  totalMb: number;
}

interface Figures {
  run: (typeof RUNS)[number];
  /** On a database that does not exist yet: created, migrated and seeded. */
  fresh: Start;
  /** Again on that database, as every later npm start: nothing to migrate or seed. */
  again: Start;
}

async function start(run: (typeof RUNS)[number], databaseUrl: string): Promise<Start> {
  const { ports } = await portsToUse();
  const launched = launchPlatform({ ...run, ports, env: { DATABASE_URL: databaseUrl, REDIS_URL: await isolatedRedisUrl(), NODE_ENV: 'development', LOG_LEVEL: 'warn' } });
  try {
    const healthyMs = await launched.serving(120_000);
    const cpu = processTree(launched.child.pid!).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    await sleep(SETTLE_MS);
    const processes = processTree(launched.child.pid!).map((pid) => ({ name: nameOf(pid, launched.child.pid!), rssMb: mb(rssKb(pid)) }));
    return { healthyMs, cpuSeconds: cpu, processes, totalMb: processes.reduce((sum, { rssMb }) => sum + rssMb, 0) };
  } finally {
    const code = await launched.stop('SIGINT');
    if (code !== 0) process.stderr.write(`${run.mode}/${run.build}: the launcher exited ${code}\n${launched.output.slice(-20).join('\n')}\n`);
  }
}

async function measure(run: (typeof RUNS)[number]): Promise<Figures> {
  const server = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const databaseName = `rgb_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(server), { pathname: `/${databaseName}` }).toString();
  try {
    return { run, fresh: await start(run, databaseUrl), again: await start(run, databaseUrl) };
  } finally {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await client.end();
  }
}

const label = ({ mode, build }: (typeof RUNS)[number]) => `${mode}, ${build === 'typescript' ? 'tsx (npm start)' : 'compiled (npm run build)'}`;

await buildAll();
const { which } = await portsToUse();
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
out(`Each configuration starts twice: on a new database (created, migrated, seeded), then again on it.`);
out(`Healthy: from the launcher's spawn to every /health 200; CPU: user + system seconds of its process tree by then;`);
out(`RSS: VmRSS of every process of the tree ${SETTLE_MS / 1000} s after the second start was healthy (${which}). Load average before: ${load()}.`);
out();
const results: Figures[] = [];
for (const run of RUNS) results.push(await measure(run));

for (const figures of results) {
  out(`${label(figures.run)}: ${figures.again.processes.map(({ name, rssMb }) => `${name} ${rssMb.toFixed(0)}`).join(', ')} MB`);
}
out();
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const baseline = results[0]!;
out('| run | processes | healthy s, new db | healthy s, again | CPU s, again | RSS MB | RSS / processes, tsx | < 600 MB and < 10 s |');
out('|---|---:|---:|---:|---:|---:|---:|---|');
for (const { run, fresh, again } of results) {
  const met = again.totalMb < TARGET.rssMb && again.healthyMs < TARGET.healthyMs;
  out(
    `| ${label(run)} | ${again.processes.length} | ${seconds(fresh.healthyMs)} | ${seconds(again.healthyMs)} | ${again.cpuSeconds.toFixed(1)} | ${again.totalMb.toFixed(0)} | ${(again.totalMb / baseline.again.totalMb).toFixed(2)} | ${met ? 'met' : 'missed'} |`,
  );
}
out();
out(`Load average after: ${load()}.`);
