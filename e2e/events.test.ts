import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootPlatform, type TestPlatform } from './support/platform';

let platform: TestPlatform;
let redis: Redis;

beforeAll(async () => {
  platform = await bootPlatform();
  redis = new Redis(platform.redisUrl);
});
afterAll(async () => {
  redis?.disconnect();
  await platform?.stop();
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('publishes PLAYER_REGISTERED for a player registered through the router within a second', async () => {
  const brand = (await platform.graphql(`{ currentBrand { id } }`)).body.data.currentBrand.id as string;
  const started = Date.now();
  const { accessToken } = await platform.register('eve_events');
  const me = (await platform.graphql(`{ me { id } }`, undefined, { token: accessToken })).body.data.me.id as string;

  const event = await waitFor(async () => {
    const entries = (await redis.xrange('rgb:stream:player', '-', '+')) as [string, string[]][];
    return entries.map(([, fields]) => JSON.parse(fields[1]!)).find((e) => e.payload.player_id === me);
  }, 1_000);
  expect(Date.now() - started).toBeLessThan(1_500);
  expect(event).toMatchObject({
    event_type: 'PLAYER_REGISTERED',
    schema_version: 2,
    brand_id: brand,
    aggregate_type: 'player',
    aggregate_id: me,
    payload: { player_id: me, username: 'eve_events', agent_id: null },
  });
  expect(event.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
});

it('counts each registration once in the admin projection, on the brand day', async () => {
  const client = new pg.Client({ connectionString: platform.databaseUrl });
  await client.connect();
  try {
    const total = async () =>
      Number((await client.query(`SELECT coalesce(sum(count), 0) AS n FROM admin.player_registration_daily`)).rows[0].n);
    const players = Number((await client.query(`SELECT count(*) AS n FROM player.player`)).rows[0].n);
    await waitFor(async () => ((await total()) === players ? true : undefined), 3_000);
    await platform.register('eve_count_a');
    await platform.register('eve_count_b', 'acme.localhost');
    await waitFor(async () => ((await total()) === players + 2 ? true : undefined), 3_000);
    const acme = await client.query(
      `SELECT d.day::text AS day, (now() AT TIME ZONE 'Asia/Seoul')::date::text AS today
       FROM admin.player_registration_daily d JOIN admin.brand b ON b.id = d.brand_id WHERE b.code = 'acme'`,
    );
    expect(acme.rows).toEqual([{ day: acme.rows[0].today, today: acme.rows[0].today }]);
  } finally {
    await client.end();
  }
});
