import { waitFor } from '@rgb/kit/testing';
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

it('publishes PLAYER_REGISTERED for a player registered through the router within a second', async () => {
  const brand = (await platform.graphql(`{ currentBrand { id } }`)).body.data.currentBrand.id as string;
  const started = Date.now();
  const { accessToken } = await platform.register('eve_events');
  const me = (await platform.graphql(`{ me { id } }`, undefined, { token: accessToken })).body.data.me.id as string;

  const event = await waitFor('the PLAYER_REGISTERED event on the stream', async () => {
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
    await waitFor('the daily registrations counted', async () => ((await total()) === players ? true : undefined), 3_000);
    await platform.register('eve_count_a');
    await platform.register('eve_count_b', 'acme.localhost');
    await waitFor('the registrations of the acme players counted', async () => ((await total()) === players + 2 ? true : undefined), 3_000);
    const acme = await client.query(
      `SELECT d.day::text AS day, (now() AT TIME ZONE 'Asia/Seoul')::date::text AS today
       FROM admin.player_registration_daily d JOIN admin.brand b ON b.id = d.brand_id WHERE b.code = 'acme'`,
    );
    expect(acme.rows).toEqual([{ day: acme.rows[0].today, today: acme.rows[0].today }]);
  } finally {
    await client.end();
  }
});

it('keeps a staff decision of the wallet in the audit log once, even when its event is delivered again', async () => {
  const staff = (
    await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD })
  ).body.data.staffLogin.accessToken as string;
  const { accessToken } = await platform.register('eve_audited');
  const requested = await platform.graphql(`mutation { requestDeposit(input: { amount: "15.00", depositorName: "E" }) { id } }`, undefined, { token: accessToken });
  const id = requested.body.data.requestDeposit.id as string;
  await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id }, { token: staff });
  const staffId = (await platform.graphql(`{ myStaffAccess { staffId } }`, undefined, { token: staff })).body.data.myStaffAccess.staffId;

  const audited = async () =>
    (
      await platform.graphql(
        `query ($id: String!) { auditLog(filter: { targetType: "deposit_request", targetId: $id }) { totalCount edges { node { staffId action before after } } } }`,
        { id },
        { token: staff },
      )
    ).body.data.auditLog;
  const log = await waitFor('the approval in the audit log', async () => ((await audited()).totalCount > 0 ? audited() : undefined), 3_000);
  expect(log.edges.map(({ node }: { node: { before: string; after: string } }) => ({ ...node, before: JSON.parse(node.before), after: JSON.parse(node.after) }))).toEqual([
    { staffId, action: 'deposit_request.approve', before: { status: 'PENDING' }, after: { status: 'APPROVED' } },
  ]);

  // The same event appended again (a republished outbox row) is applied by no one.
  const entries = (await redis.xrange('rgb:stream:wallet', '-', '+')) as [string, string[]][];
  const original = entries.find(([, fields]) => {
    const event = JSON.parse(fields[1]!);
    return event.event_type === 'STAFF_ACTION_RECORDED' && event.aggregate_id === id;
  });
  const again = (await redis.xadd('rgb:stream:wallet', '*', 'event', original![1][1]!)) as string;
  await waitFor('the republished event delivered to admin.audit', async () => {
    const groups = (await redis.xinfo('GROUPS', 'rgb:stream:wallet')) as (string | number)[][];
    const audit = groups.map((group) => Object.fromEntries(group.flatMap((value, index) => (index % 2 === 0 ? [[value, group[index + 1]]] : [])))).find((group) => group.name === 'admin.audit');
    return audit?.['last-delivered-id'] === again && audit.pending === 0 ? true : undefined;
  }, 3_000);
  expect((await audited()).totalCount).toBe(1);
  const parked = (await redis.xrange('rgb:stream:wallet:dead-letter', '-', '+')) as [string, string[]][];
  expect(parked.filter(([, fields]) => fields.some((field) => field.includes(id)))).toEqual([]);
});

it('keeps the game catalogue switches in the audit log, from the game outbox', async () => {
  const staff = (
    await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD })
  ).body.data.staffLogin.accessToken as string;
  for (const enabled of [false, true]) {
    const switched = await platform.graphql(`mutation ($e: Boolean!) { setGameEnabled(gameCode: "demo-live", enabled: $e) { enabled } }`, { e: enabled }, { token: staff });
    expect(switched.body.data.setGameEnabled.enabled).toBe(enabled);
  }
  const audited = async () =>
    (await platform.graphql(`{ auditLog(filter: { targetType: "game", targetId: "demo-live" }) { edges { node { action before after } } } }`, undefined, { token: staff })).body.data.auditLog
      .edges as { node: { action: string; before: string; after: string } }[];
  const edges = await waitFor('both game switches in the audit log', async () => {
    const found = await audited();
    return found.length === 2 ? found : undefined;
  }, 3_000);
  expect(edges.map(({ node }) => [node.action, JSON.parse(node.before), JSON.parse(node.after)])).toEqual([
    ['game.enable', { enabled: false }, { enabled: true }],
    ['game.disable', { enabled: true }, { enabled: false }],
  ]);
});

it("keeps promotion's staff actions in the audit log, from the promotion outbox", async () => {
  const staff = (
    await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD })
  ).body.data.staffLogin.accessToken as string;
  const created = await platform.graphql(
    `mutation { createCouponCampaign(input: { name: "audited", amount: "1.00", rollingMultiplierBps: 0 }) { id } }`,
    undefined,
    { token: staff },
  );
  const campaignId = created.body.data.createCouponCampaign.id as string;
  const disabled = await platform.graphql(`mutation ($id: ID!) { disableCouponCampaign(id: $id, reason: "audit trail") { status } }`, { id: campaignId }, { token: staff });
  expect(disabled.body.data.disableCouponCampaign.status).toBe('DISABLED');
  const edges = await waitFor('both campaign changes in the audit log', async () => {
    const found = (
      await platform.graphql(`query ($id: String!) { auditLog(filter: { targetType: "coupon_campaign", targetId: $id }) { edges { node { action before after } } } }`, { id: campaignId }, {
        token: staff,
      })
    ).body.data.auditLog.edges as { node: { action: string; before: string | null; after: string } }[];
    return found.length === 2 ? found : undefined;
  }, 3_000);
  expect(edges.map(({ node }) => [node.action, JSON.parse(node.before ?? 'null'), JSON.parse(node.after)])).toEqual([
    ['coupon_campaign.disable', { status: 'ACTIVE' }, { status: 'DISABLED', reason: 'audit trail' }],
    ['coupon_campaign.create', null, expect.objectContaining({ name: 'audited', amount: '1.00', status: 'ACTIVE' })],
  ]);
});
