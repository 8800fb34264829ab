/**
 * The live top-info end to end, every service its own process: a staff client subscribed over
 * graphql-ws through the router sees a player's deposit request within a second (wallet outbox →
 * stream → admin_worker → notice → admin subgraph → router), and its approval.
 */
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { subscribeOverWebSocket, type TestSubscription } from '@rgb/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type TestPlatform } from './support/platform';

const TOP_INFO = 'subscription { topInfo { pendingDepositCount pendingDepositAmount pendingWithdrawalCount newPlayersToday updatedAt } }';
type TopInfo = {
  topInfo: { pendingDepositCount: number; pendingDepositAmount: string; pendingWithdrawalCount: number; newPlayersToday: number; updatedAt: string };
};

let platform: TestPlatform;
let prisma: PrismaClient;
const open: TestSubscription[] = [];

beforeAll(async () => {
  platform = await bootPlatform();
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-top-info' });
});
afterAll(async () => {
  for (const subscription of open) await subscription.dispose();
  await prisma?.$disconnect();
  await platform?.stop();
});


function subscribe(token: string) {
  const subscription = subscribeOverWebSocket<TopInfo>(`${platform.routerUrl.replace(/^http/, 'ws')}/graphql`, TOP_INFO, {
    payload: { authorization: `Bearer ${token}` },
    headers: { host: 'localhost' },
  });
  open.push(subscription as TestSubscription);
  return subscription;
}

async function staffToken(): Promise<string> {
  const login = await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, {
    p: platform.secrets.ADMIN_PASSWORD,
  });
  return dataOf<{ staffLogin: { accessToken: string } }>(login).staffLogin.accessToken;
}

/** The next result, and how long it took to come. */
async function timedNext(subscription: TestSubscription<TopInfo>) {
  const started = performance.now();
  const result = await subscription.next(5_000);
  expect(result.errors).toBeUndefined();
  return { figures: result.data!.topInfo, ms: performance.now() - started };
}

it('shows staff a player\'s deposit request within a second of it, and its approval; a player token is refused', async () => {
  const staff = await staffToken();
  const watcher = subscribe(staff);
  const { figures: first } = await timedNext(watcher);
  expect(first).toMatchObject({ pendingDepositCount: 0, pendingDepositAmount: '0.00', pendingWithdrawalCount: 0 });

  const player = await platform.register('topinfo_alice');
  // The registration counts too: wait for it, so the deposit's change is the next one.
  await expect.poll(async () => (await watcher.next(5_000)).data?.topInfo.newPlayersToday, { timeout: 5_000 }).toBe(1);

  const requested = dataOf<{ requestDeposit: { id: string } }>(
    await platform.graphql(`mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`, { input: { amount: '25.50', depositorName: 'Alice' } }, { token: player.accessToken }),
  ).requestDeposit;
  const rose = await timedNext(watcher);
  expect(rose.figures).toMatchObject({ pendingDepositCount: 1, pendingDepositAmount: '25.50' });
  expect(rose.ms).toBeLessThan(1_000);

  dataOf(await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { id } }`, { id: requested.id }, { token: staff }));
  const fell = await timedNext(watcher);
  expect(fell.figures).toMatchObject({ pendingDepositCount: 0, pendingDepositAmount: '0.00' });
  expect(fell.ms).toBeLessThan(1_000);
  expect(await findLedgerMismatches(prisma)).toEqual([]);

  const refused = subscribe(player.accessToken);
  await refused.completed;
  expect(refused.results).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] }]);
});

it('ends a subscription with SERVICE_UNAVAILABLE when the admin subgraph dies, and serves a new one once it is back', async () => {
  const staff = await staffToken();
  const watcher = subscribe(staff);
  await watcher.next(5_000);
  const admin = platform.platform.services.find((service) => service.name === 'admin')!;
  admin.process.kill('SIGKILL');
  await watcher.completed;
  expect(watcher.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');

  await expect
    .poll(
      async () => {
        const again = subscribe(staff);
        const result = await again.next(2_000).catch(() => undefined);
        await again.dispose();
        return result?.data?.topInfo.pendingDepositCount;
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(0);
});

it('ends open subscriptions with SUPERGRAPH_RELOADED when the router is sent SIGHUP, and serves new ones on the new supergraph', async () => {
  const staff = await staffToken();
  const watcher = subscribe(staff);
  await watcher.next(5_000);
  platform.platform.services.find((service) => service.name === 'router')!.process.kill('SIGHUP');
  await watcher.completed;
  expect(watcher.results.at(-1)).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'SUPERGRAPH_RELOADED' } })] });
  const again = subscribe(staff);
  expect((await again.next(5_000)).data?.topInfo).toMatchObject({ pendingDepositCount: 0 });
  // The signal reloaded the router; it did not end it.
  expect(platform.crashes.filter((crash) => crash.service === 'router')).toEqual([]);
});
