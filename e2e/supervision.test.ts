/**
 * The launcher keeps the platform running: a process killed outright (SIGKILL) is started again
 * and serves (within 10 s on a quiet machine: 0.5 s of backoff, then its boot), while every
 * other process keeps serving.
 */
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type TestPlatform } from './support/platform';

/**
 * How long a restarted process may take to serve again: the launcher's 0.5 s backoff (asserted
 * exactly below), then the process's boot, 2-5 s here even under a load of 15 on two cores.
 */
const SERVING_AGAIN_WITHIN_MS = 10_000;

let platform: TestPlatform;
let prisma: PrismaClient;
let redis: Redis;
let player: string;
let staff: string;

beforeAll(async () => {
  platform = await bootPlatform();
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-supervision' });
  redis = new Redis(platform.redisUrl);
  player = (await platform.register('sam_supervised')).accessToken;
  const login = await platform.graphql(
    `mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`,
    { p: platform.secrets.ADMIN_PASSWORD },
  );
  staff = dataOf<{ staffLogin: { accessToken: string } }>(login).staffLogin.accessToken;
});
afterAll(async () => {
  redis?.disconnect();
  await prisma?.$disconnect();
  await platform?.stop();
});

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + SERVING_AGAIN_WITHIN_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}


const service = (name: string) => platform.platform.services.find((candidate) => candidate.name === name)!;

async function healthStatus(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) })).status;
  } catch (error) {
    return (error as Error).name === 'TimeoutError' ? -1 : 0;
  }
}

/**
 * Kills `name` with SIGKILL and, until it is back (restarted once, /health 200) or the deadline,
 * checks that every other process answers /health 200 and the router serves a query that needs
 * none of the killed ones. Returns what the others answered that was not that.
 */
async function killAndWatch(name: string): Promise<{ othersFailures: string[] }> {
  const killed = service(name);
  const before = new Map(platform.platform.services.map((running) => [running.name, { pid: running.process.pid, restarts: running.restarts }]));
  const others = platform.platform.services.filter((running) => running.name !== name && running.name !== 'router');
  const othersFailures: string[] = [];
  const deadline = Date.now() + SERVING_AGAIN_WITHIN_MS;
  killed.process.kill('SIGKILL');
  for (;;) {
    for (const other of others) {
      const status = await healthStatus(other.url);
      if (status !== 200) othersFailures.push(`${other.name}: /health ${status}`);
    }
    const brand = await platform.graphql(`{ currentBrand { code } }`);
    if (brand.status !== 200 || brand.body.data?.currentBrand?.code !== 'demo') othersFailures.push(`router: ${JSON.stringify(brand.body)}`);
    if (killed.restarts === 1 && (await healthStatus(killed.url)) === 200) break;
    if (Date.now() > deadline) {
      const said = platform.output.filter((line) => line.startsWith(`${name}|`) || line.startsWith('platform|')).slice(-20);
      throw new Error(`${name} was not serving again within ${SERVING_AGAIN_WITHIN_MS} ms (restarts: ${killed.restarts}):\n${said.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(killed.process.pid).not.toBe(before.get(name)!.pid);
  expect(platform.crashes.filter((crash) => crash.service === name)).toEqual([
    { service: name, code: null, signal: 'SIGKILL', restart: 1, restartInMs: 500 },
  ]);
  // What npm start prints about it.
  await until(() => platform.output.includes(`platform| ${name} is serving again (restart 1)`), `${name}'s serving-again line`);
  expect(platform.output.filter((line) => line.startsWith(`platform| ${name} `))).toEqual([
    `platform| ${name} exited (signal SIGKILL); restart 1 in 0.5 s`,
    `platform| ${name} is serving again (restart 1)`,
  ]);
  // Nothing else was restarted.
  for (const running of platform.platform.services.filter((other) => other.name !== name)) {
    expect({ name: running.name, pid: running.process.pid, restarts: running.restarts }).toEqual({ name: running.name, ...before.get(running.name) });
  }
  return { othersFailures };
}

it('restarts a killed wallet, which then moves money through the router again, while the rest kept serving', async () => {
  const { othersFailures } = await killAndWatch('wallet');
  expect(othersFailures).toEqual([]);

  const requested = dataOf<{ requestDeposit: { id: string } }>(
    await platform.graphql(
      `mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`,
      { input: { amount: '25.00', depositorName: 'Sam Supervised' } },
      { token: player },
    ),
  ).requestDeposit;
  dataOf(await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id: requested.id }, { token: staff }));
  const wallet = dataOf<{ me: { wallet: { balance: string; currency: string } } }>(
    await platform.graphql(`{ me { wallet { balance currency } } }`, undefined, { token: player }),
  ).me.wallet;
  expect(wallet).toEqual({ balance: '25.00', currency: 'USD' });
  expect(await findLedgerMismatches(prisma)).toEqual([]);
});

it('restarts a killed wallet_worker, which then publishes the wallet events again, while the rest kept serving', async () => {
  const { othersFailures } = await killAndWatch('wallet_worker');
  expect(othersFailures).toEqual([]);

  const requested = dataOf<{ requestDeposit: { id: string } }>(
    await platform.graphql(
      `mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`,
      { input: { amount: '15.00', depositorName: 'Sam Supervised' } },
      { token: player },
    ),
  ).requestDeposit;
  let published: Record<string, unknown> | undefined;
  await until(async () => {
    const entries = (await redis.xrange('rgb:stream:wallet', '-', '+')) as [string, string[]][];
    published = entries.map(([, fields]) => JSON.parse(fields[1]!)).find((event) => event.aggregate_id === requested.id);
    return published !== undefined;
  }, 'DEPOSIT_REQUESTED published by the restarted wallet_worker');
  expect(published).toMatchObject({ event_type: 'DEPOSIT_REQUESTED', aggregate_type: 'deposit_request' });
  expect(await findLedgerMismatches(prisma)).toEqual([]);
});

it('stops every process when stopped while a killed one waits for its restart', async () => {
  service('admin_worker').process.kill('SIGKILL');
  await until(() => platform.crashes.some((crash) => crash.service === 'admin_worker'), 'the crash of admin_worker');
  await platform.platform.stop();
  for (const running of platform.platform.services) {
    expect({ name: running.name, exited: running.process.exitCode !== null || running.process.signalCode !== null }).toEqual({
      name: running.name,
      exited: true,
    });
  }
  expect(service('admin_worker').restarts).toBe(1);
});
