/**
 * A subgraph that is down fails only the fields it serves: the router answers the rest of a
 * request, puts an error at the missing field's path, and its readiness names the subgraph.
 * The launcher is told to wait long before restarting, so the wallet stays down for the test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootPlatform, type TestPlatform } from './support/platform';

let platform: TestPlatform;
let token: string;

beforeAll(async () => {
  platform = await bootPlatform({}, { restartPolicy: { initialDelayMs: 600_000 } });
  token = (await platform.register('dana_partial')).accessToken;
});
afterAll(async () => {
  await platform?.stop();
});

async function routerHealth(): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const response = await fetch(`${platform.routerUrl}/health`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('answers the player without the wallet, with an error at me.wallet, and its readiness names the wallet', async () => {
  const query = '{ me { id username wallet { balance } } }';
  const before = await platform.graphql(query, {}, { token });
  expect(before.body).toMatchObject({ data: { me: { username: 'dana_partial', wallet: { balance: '0.00' } } } });
  expect((await routerHealth()).status).toBe(200);

  const wallet = platform.platform.services.find((service) => service.name === 'wallet')!;
  wallet.process.kill('SIGKILL');
  const health = await until('the router to say the wallet is unreachable', routerHealth, ({ status }) => status === 503);
  expect(health.body.reason).toMatch(/subgraphs: .*wallet/);
  expect(health.body.reason).not.toMatch(/player|game|admin/);

  const during = await platform.graphql(query, {}, { token });
  expect(during.status).toBe(200);
  expect(during.body.data).toEqual({ me: { id: expect.any(String), username: 'dana_partial', wallet: null } });
  expect(during.body.errors).toHaveLength(1);
  expect(during.body.errors![0]).toMatchObject({ path: ['me', 'wallet'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
  // Nothing of the subgraph's address or the fetch's failure reaches the client.
  expect(JSON.stringify(during.body.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch/i);

  // What needs no wallet still answers in full.
  const games = await platform.graphql('{ games(first: 5) { totalCount } }', {}, { token });
  expect(games.body.errors).toBeUndefined();
  expect(games.body.data.games.totalCount).toBeGreaterThan(0);
});
