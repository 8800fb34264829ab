/**
 * What the rolling subgraph answers: `Player.rollings` and `Query.rollings` over GraphQL (who may
 * read what, filters, pages, one SQL for many players), and the internal routes the wallet and
 * the promotion domain call (the withdrawal check, promotion requirements made and canceled). Real PostgreSQL,
 * Redis and HTTP (admin, wallet, rolling and its worker).
 */
import { randomUUID } from 'node:crypto';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { firstError, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bet, depositApproved, type RollingPlatform, requirementsOf, rollingOutbox, startRollingPlatform } from './support';

let platform: RollingPlatform;
beforeAll(async () => {
  platform = await startRollingPlatform();
});
afterAll(() => platform?.close());

const acme = () => platform.brands.acme;
const demo = () => platform.brands.demo;
const reader = (brand = acme()) => staffWith(brand, randomUUID(), ['rollings.read']);
const HOUR_AGO = Date.now() - 3_600_000;
const approvedAt = (index: number) => new Date(HOUR_AGO + index * 1_000);

const ROLLING_FIELDS = 'id required accrued progress status source amount multiplierBps expiresAt createdAt endedAt cancelReason player { id }';
const PLAYER_ROLLINGS = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Player { id rollings { ${ROLLING_FIELDS} } } } }`;
const ROLLINGS = `query ($playerId: ID, $status: RollingStatus, $first: Int, $after: String) {
  rollings(playerId: $playerId, status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status player { id } } } }
}`;

interface RollingView {
  id: string;
  status: string;
  player: { id: string };
  [field: string]: unknown;
}
type PlayerAnswer = { _entities: { id: string; rollings: RollingView[] }[] };
type ListAnswer = { rollings: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: RollingView }[] } };

const playerRollings = (playerIds: string[], context: ForwardedContext) =>
  platform.rolling.graphql<PlayerAnswer>(PLAYER_ROLLINGS, { representations: playerIds.map((id) => ({ __typename: 'Player', id })) }, context);
const list = (variables: Record<string, unknown>, context: ForwardedContext = reader()) => platform.rolling.graphql<ListAnswer>(ROLLINGS, variables, context);

/**
 * A player of acme with three requirements, oldest first: one completed (1 000), one with 3 000
 * of 10 000 turned over, one untouched (20 000).
 */
async function playerWithThree() {
  const playerId = randomUUID();
  await platform.publish(...[1_000n, 10_000n, 20_000n].map((amount, index) => depositApproved(acme(), playerId, amount, approvedAt(index))));
  await platform.publish(bet(acme(), playerId, { stake: 4_000n }).settled());
  return { playerId, requirements: await requirementsOf(platform, acme(), playerId) };
}

describe('Player.rollings', () => {
  it("answers the player their own requirements, newest first, as money strings with their progress", async () => {
    const { playerId, requirements } = await playerWithThree();
    const [completed, partial, untouched] = requirements;
    const answer = await playerRollings([playerId], signedIn(acme(), 'player', playerId));
    expect(answer.body.errors).toBeUndefined();
    const [entity] = answer.body.data!._entities;
    expect(entity!.rollings.map(({ id }) => id)).toEqual([untouched!.id, partial!.id, completed!.id]);
    expect(entity!.rollings[1]).toEqual({
      id: partial!.id,
      required: '10000',
      accrued: '3000',
      progress: 0.3,
      status: 'ACTIVE',
      source: 'DEPOSIT',
      amount: '10000',
      multiplierBps: 10_000,
      expiresAt: new Date(approvedAt(1).getTime() + 30 * 86_400_000).toISOString(),
      createdAt: approvedAt(1).toISOString(),
      endedAt: null,
      cancelReason: null,
      player: { id: playerId },
    });
    expect(entity!.rollings[2]).toMatchObject({ status: 'COMPLETED', progress: 1, accrued: '1000', endedAt: expect.any(String) });
    expect(entity!.rollings[0]).toMatchObject({ status: 'ACTIVE', progress: 0, accrued: '0' });
  });

  it("refuses another player's requirements, staff without rollings.read and anonymous callers", async () => {
    const { playerId } = await playerWithThree();
    expect(firstError(await playerRollings([playerId], signedIn(acme(), 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await playerRollings([playerId], signedIn(acme(), 'agent', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await playerRollings([playerId], staffWith(acme(), randomUUID(), ['rollings.manage'])))?.code).toBe('FORBIDDEN');
    expect(firstError(await playerRollings([playerId], { brand: acme(), caller: null }))?.code).toBe('UNAUTHENTICATED');
    const read = await playerRollings([playerId], reader());
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!._entities[0]!.rollings).toHaveLength(3);
  });

  it("answers only the request's brand's requirements", async () => {
    const { playerId } = await playerWithThree();
    const answer = await playerRollings([playerId], reader(demo()));
    expect(answer.body.data!._entities[0]!.rollings).toEqual([]);
  });

  it('reads many players in one SQL statement', async () => {
    const players = [await playerWithThree(), await playerWithThree(), await playerWithThree()];
    const ids = [...players.map(({ playerId }) => playerId), randomUUID(), 'not-a-uuid'];
    platform.rolling.operations.length = 0;
    const answer = await playerRollings(ids, reader());
    expect(answer.body.errors).toBeUndefined();
    expect(platform.rolling.operations).toEqual(['Rolling.findMany']);
    expect(answer.body.data!._entities.map(({ rollings }) => rollings.length)).toEqual([3, 3, 3, 0, 0]);
    for (const [index, { playerId }] of players.entries()) {
      expect(answer.body.data!._entities[index]!.rollings.every(({ player }) => player.id === playerId)).toBe(true);
    }
  });
});

describe('Query.rollings', () => {
  it("pages through a player's requirements newest first, with the total", async () => {
    const { playerId, requirements } = await playerWithThree();
    const first = await list({ playerId, first: 2 });
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data!.rollings;
    expect(page.totalCount).toBe(3);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.edges.map(({ node }) => node.id)).toEqual([requirements[2]!.id, requirements[1]!.id]);
    const second = (await list({ playerId, first: 2, after: page.pageInfo.endCursor })).body.data!.rollings;
    expect(second.edges.map(({ node }) => node.id)).toEqual([requirements[0]!.id]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(second.totalCount).toBe(3);
  });

  it('filters by status, and lists only the brand of the request', async () => {
    const { playerId, requirements } = await playerWithThree();
    const completed = (await list({ playerId, status: 'COMPLETED' })).body.data!.rollings;
    expect(completed.edges.map(({ node }) => [node.id, node.status])).toEqual([[requirements[0]!.id, 'COMPLETED']]);
    expect(completed.totalCount).toBe(1);
    expect((await list({ playerId, status: 'ACTIVE' })).body.data!.rollings.totalCount).toBe(2);
    expect((await list({ playerId, status: 'EXPIRED' })).body.data!.rollings.edges).toEqual([]);

    const everyActive = (await list({ status: 'ACTIVE', first: 100 })).body.data!.rollings;
    expect(everyActive.edges.every(({ node }) => node.status === 'ACTIVE')).toBe(true);
    expect(everyActive.edges.map(({ node }) => node.id)).toEqual(expect.arrayContaining([requirements[1]!.id, requirements[2]!.id]));
    expect((await list({ playerId }, reader(demo()))).body.data!.rollings.totalCount).toBe(0);
  });

  it('refuses a playerId that is not a UUID with BAD_USER_INPUT, and callers without rollings.read', async () => {
    expect(firstError(await list({ playerId: 'player-1' }))?.code).toBe('BAD_USER_INPUT');
    expect(firstError(await list({}, staffWith(acme(), randomUUID(), ['rollings.manage'])))?.code).toBe('FORBIDDEN');
    expect(firstError(await list({}, signedIn(acme(), 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await list({}, { brand: acme(), caller: null }))?.code).toBe('UNAUTHENTICATED');
  });
});

// --- The internal routes ------------------------------------------------------------------------

interface InternalAnswer {
  status: number;
  body: any;
}

async function internal(path: string, body: unknown, { token = true }: { token?: boolean } = {}): Promise<InternalAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${await platform.rolling.deps.serviceTokens.signService('wallet')}`;
  const response = await fetch(`${platform.rolling.url}/internal/rolling/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const brandBody = ({ id, code, currency }: BrandRef) => ({ id, code, currency });

describe('/internal/rolling/withdrawal-check', () => {
  const check = (playerId: string, approvedDeposits: number, brand = acme()) =>
    internal('withdrawal-check', { brand: brandBody(brand), player_id: playerId, approved_deposits: approvedDeposits });

  it('holds a player with active requirements, with their number and the turnover they still need', async () => {
    const { playerId } = await playerWithThree();
    expect(await check(playerId, 3)).toEqual({ status: 200, body: { allowed: false, reason: 'ACTIVE_REQUIREMENT', active_requirements: 2, remaining_minor: '27000' } });
    // Active requirements come first, even with deposits still to process.
    expect((await check(playerId, 4)).body.reason).toBe('ACTIVE_REQUIREMENT');
  });

  it('holds a player whose approved deposits rolling has not all processed yet', async () => {
    const playerId = randomUUID();
    await platform.publish(depositApproved(acme(), playerId, 1_000n));
    await platform.publish(bet(acme(), playerId, { stake: 1_000n }).settled());
    expect(await check(playerId, 2)).toEqual({ status: 200, body: { allowed: false, reason: 'DEPOSITS_NOT_PROCESSED', active_requirements: 0, remaining_minor: '0' } });
    expect(await check(playerId, 1)).toEqual({ status: 200, body: { allowed: true, reason: null, active_requirements: 0, remaining_minor: '0' } });
  });

  it("lets through a player whose requirements ended or are past their expiry, one of a brand without requirements, and one who never deposited", async () => {
    const { playerId, requirements } = await playerWithThree();
    await platform.prisma.rolling.updateMany({ where: { id: { in: requirements.map(({ id }) => id) } }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect((await check(playerId, 3)).body).toEqual({ allowed: true, reason: null, active_requirements: 0, remaining_minor: '0' });

    const demoPlayer = randomUUID();
    await platform.publish(depositApproved(demo(), demoPlayer, 5_000n));
    expect((await check(demoPlayer, 1, demo())).body).toMatchObject({ allowed: true, reason: null });
    expect((await check(randomUUID(), 0)).body).toMatchObject({ allowed: true, reason: null });
  });

  it('answers for the brand asked only', async () => {
    const { playerId } = await playerWithThree();
    expect((await check(playerId, 0, demo())).body).toMatchObject({ allowed: true, active_requirements: 0 });
  });

  it('refuses a call without a service token (401) and a malformed one (400)', async () => {
    const body = { brand: brandBody(acme()), player_id: randomUUID(), approved_deposits: 0 };
    expect((await internal('withdrawal-check', body, { token: false })).status).toBe(401);
    expect(await internal('withdrawal-check', { ...body, player_id: 'player-1' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect((await internal('withdrawal-check', { ...body, approved_deposits: -1 })).status).toBe(400);
  });
});

describe('/internal/rolling/requirements', () => {
  const requirement = (overrides: Record<string, unknown> = {}) => ({
    brand: brandBody(acme()),
    player_id: randomUUID(),
    source: 'PROMOTION',
    source_id: `coupon-${randomUUID()}`,
    amount_minor: '3333',
    multiplier_bps: 15_000,
    expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    ...overrides,
  });
  const rowsOf = (sourceId: string) => platform.prisma.rolling.findMany({ where: { sourceId } });

  it('creates a requirement of the amount times the multiplier, rounded up, with the expiry asked for', async () => {
    const body = requirement();
    const answer = await internal('requirements', body);
    expect(answer).toEqual({ status: 200, body: { rolling_id: expect.any(String), duplicate: false } });
    const [row, ...more] = await rowsOf(body.source_id);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      id: answer.body.rolling_id,
      brandId: acme().id,
      playerId: body.player_id,
      currency: 'KRW',
      source: 'PROMOTION',
      amount: 3_333n,
      multiplierBps: 15_000,
      required: 5_000n,
      accrued: 0n,
      status: 'ACTIVE',
      expiresAt: new Date(body.expires_at),
    });
    // Without an expiry, the brand's: 30 days on acme.
    const lasting = requirement({ expires_at: null });
    const asked = Date.now();
    expect((await internal('requirements', lasting)).status).toBe(200);
    const lapses = (await rowsOf(lasting.source_id))[0]!.expiresAt!.getTime() - 30 * 86_400_000;
    expect(lapses).toBeGreaterThanOrEqual(asked);
    expect(lapses).toBeLessThanOrEqual(Date.now());
  });

  it('answers a repeat with the first requirement, duplicate, also when many arrive at once', async () => {
    const body = requirement();
    const first = await internal('requirements', body);
    expect(await internal('requirements', body)).toEqual({ status: 200, body: { rolling_id: first.body.rolling_id, duplicate: true } });
    const together = requirement();
    const answers = await Promise.all(Array.from({ length: 8 }, () => internal('requirements', together)));
    expect(answers.map(({ status }) => status)).toEqual(Array(8).fill(200));
    expect(answers.filter(({ body }) => body.duplicate === false)).toHaveLength(1);
    expect(new Set(answers.map(({ body }) => body.rolling_id)).size).toBe(1);
    expect(await rowsOf(together.source_id)).toHaveLength(1);
  });

  it('refuses the same source id for another amount, multiplier or player with CONFLICT, and changes nothing', async () => {
    const body = requirement();
    await internal('requirements', body);
    const before = await rowsOf(body.source_id);
    for (const other of [{ amount_minor: '3334' }, { multiplier_bps: 10_000 }, { player_id: randomUUID() }]) {
      expect(await internal('requirements', { ...body, ...other })).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    }
    expect(await rowsOf(body.source_id)).toEqual(before);
  });

  it('creates nothing for a zero multiplier or a zero amount', async () => {
    for (const body of [requirement({ multiplier_bps: 0 }), requirement({ amount_minor: '0' })]) {
      expect(await internal('requirements', body)).toEqual({ status: 200, body: { rolling_id: null, duplicate: false } });
      expect(await rowsOf(body.source_id)).toEqual([]);
    }
  });

  it('refuses an expiry in the past with BAD_USER_INPUT, an unknown brand with NOT_FOUND, and creates nothing', async () => {
    const past = requirement({ expires_at: new Date(Date.now() - 1_000).toISOString() });
    expect(await internal('requirements', past)).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect(await rowsOf(past.source_id)).toEqual([]);
    const unknown = requirement({ brand: { id: randomUUID(), code: 'nowhere', currency: 'KRW' } });
    expect(await internal('requirements', unknown)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await rowsOf(unknown.source_id)).toEqual([]);
  });

  it('refuses a call without a service token (401) and malformed ones (400), and creates nothing', async () => {
    const body = requirement();
    expect((await internal('requirements', body, { token: false })).status).toBe(401);
    for (const bad of [{ amount_minor: '-5' }, { amount_minor: '1.5' }, { multiplier_bps: 100_001 }, { source: 'DEPOSIT' }, { source_id: '' }, { expires_at: 'tomorrow' }]) {
      expect((await internal('requirements', { ...body, ...bad })).status, JSON.stringify(bad)).toBe(400);
    }
    expect(await rowsOf(body.source_id)).toEqual([]);
  });
});

describe('/internal/rolling/requirements/cancel', () => {
  const made = async () => {
    const body = {
      brand: brandBody(acme()),
      player_id: randomUUID(),
      source: 'PROMOTION',
      source_id: `settlement-${randomUUID()}`,
      amount_minor: '2000',
      multiplier_bps: 10_000,
      expires_at: null,
    };
    const answer = await internal('requirements', body);
    return { body, rollingId: answer.body.rolling_id as string };
  };
  const cancel = (sourceId: string, overrides: Record<string, unknown> = {}) =>
    internal('requirements/cancel', { brand: brandBody(acme()), source: 'PROMOTION', source_id: sourceId, reason: 'payout canceled by staff', ...overrides });
  const withdrawalCheck = (playerId: string) => internal('withdrawal-check', { brand: brandBody(acme()), player_id: playerId, approved_deposits: 0 });

  it("cancels the source's ACTIVE requirement with ROLLING_CANCELED, and the player may withdraw; a repeat changes nothing", async () => {
    const { body, rollingId } = await made();
    expect((await withdrawalCheck(body.player_id)).body).toMatchObject({ allowed: false, reason: 'ACTIVE_REQUIREMENT' });
    expect(await cancel(body.source_id)).toEqual({ status: 200, body: { rolling_id: rollingId, status: 'CANCELED', canceled: true } });
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: rollingId } })).toMatchObject({ status: 'CANCELED', cancelReason: 'payout canceled by staff', canceledBy: null, endedAt: expect.any(Date) });
    expect((await withdrawalCheck(body.player_id)).body).toMatchObject({ allowed: true, active_requirements: 0 });
    const [event, ...more] = await rollingOutbox(platform, 'ROLLING_CANCELED', rollingId);
    expect(more).toEqual([]);
    expect(event!.envelope).toMatchObject({ brand_id: acme().id, payload: { rolling_id: rollingId, player_id: body.player_id, required_minor: '2000', reason: 'payout canceled by staff' } });

    const row = await platform.prisma.rolling.findUniqueOrThrow({ where: { id: rollingId } });
    expect(await cancel(body.source_id, { reason: 'again' })).toEqual({ status: 200, body: { rolling_id: rollingId, status: 'CANCELED', canceled: false } });
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: rollingId } })).toEqual(row);
    expect(await rollingOutbox(platform, 'ROLLING_CANCELED', rollingId)).toHaveLength(1);
  });

  it('leaves an ended requirement as it is, answers a source without one, and looks at the brand asked only', async () => {
    const { body, rollingId } = await made();
    await platform.prisma.rolling.update({ where: { id: rollingId }, data: { status: 'COMPLETED', accrued: 2_000n, endedAt: new Date() } });
    expect(await cancel(body.source_id)).toEqual({ status: 200, body: { rolling_id: rollingId, status: 'COMPLETED', canceled: false } });
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: rollingId } })).toMatchObject({ status: 'COMPLETED', cancelReason: null });
    expect(await cancel(`settlement-${randomUUID()}`)).toEqual({ status: 200, body: { rolling_id: null, status: null, canceled: false } });

    const active = await made();
    expect(await cancel(active.body.source_id, { brand: brandBody(demo()) })).toEqual({ status: 200, body: { rolling_id: null, status: null, canceled: false } });
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: active.rollingId } })).toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a call without a service token (401) and malformed ones (400), and cancels nothing', async () => {
    const { body, rollingId } = await made();
    const unsigned = await internal('requirements/cancel', { brand: brandBody(acme()), source: 'PROMOTION', source_id: body.source_id, reason: 'no token' }, { token: false });
    expect(unsigned.status).toBe(401);
    for (const bad of [{ reason: '' }, { reason: ' ' }, { reason: 'r'.repeat(501) }, { source: 'DEPOSIT' }, { source_id: '' }]) {
      expect((await cancel(body.source_id, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: rollingId } })).toMatchObject({ status: 'ACTIVE' });
  });
});
