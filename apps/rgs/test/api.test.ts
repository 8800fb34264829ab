// The RGS operator API on its own (no platform: its operators pay through a port nothing listens
// on): operators, sessions, what a bet is refused for before any money moves, the audit log, the
// tenant boundary, the rate limit and the metrics. Money moving is money.test.ts's.
import { randomUUID } from 'node:crypto';
import { rgsLocalDefaults } from '@rgb/kit';
import { TEST_RGS_OPERATOR_KEY, testSeedSecrets } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRgsConfig } from '../src/config';
import { sha256 } from '../src/secrets';
import { addOperator, operatorClient, operatorInput, type OperatorClient, type StandaloneRgs, startStandaloneRgs, testBox } from './support/rgs';

let server: StandaloneRgs;
let platform: OperatorClient;
let other: OperatorClient;
const OTHER_KEY = 'other-operator-key-0123456789';

beforeAll(async () => {
  server = await startStandaloneRgs();
  platform = operatorClient(server.url, TEST_RGS_OPERATOR_KEY);
  await addOperator(server.prisma, operatorInput('other', OTHER_KEY, 'http://127.0.0.1:9'));
  other = operatorClient(server.url, OTHER_KEY);
});
afterAll(async () => {
  await server?.close();
});

const launch = (client: OperatorClient, playerId: string, extra: Record<string, unknown> = {}) =>
  client.post('/sessions/launch', { player_id: playerId, currency: 'USD', game_code: 'rgs-dice', ...extra });

async function session(playerId: string, client = platform): Promise<{ session_token: string; session_id: string; server_seed_hash: string }> {
  const launched = await launch(client, playerId);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return launched.body;
}

const betCount = () => server.prisma.rgsBet.count();
const auditOf = (action: string) => server.prisma.rgsAuditLog.findMany({ where: { action }, orderBy: { id: 'asc' } });

describe('operators', () => {
  it('answers only a known X-Operator-Key (401 otherwise), and /health without one', async () => {
    expect((await operatorClient(server.url, undefined).post('/sessions/verify', { session_token: 'x' })).body).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'a valid x-operator-key header is required' },
    });
    expect((await operatorClient(server.url, 'not-a-key').get('/audit')).status).toBe(401);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('keeps API keys as their SHA-256 and the secrets it signs with sealed, never in clear', async () => {
    const row = await server.prisma.rgsOperator.findUniqueOrThrow({ where: { code: 'platform' } });
    expect(Buffer.from(row.apiKeySha256).equals(sha256(TEST_RGS_OPERATOR_KEY))).toBe(true);
    const secret = testSeedSecrets().rgsProviderSecret;
    expect(Buffer.from(row.providerSecretSealed).includes(secret)).toBe(false);
    expect(testBox.open('provider_secret', row.providerSecretSealed)).toBe(secret);
    // Sealed for one purpose, it opens for no other (and under no other key).
    expect(() => testBox.open('webhook_secret', row.providerSecretSealed)).toThrow();
  });

  it('refuses the local secrets key in production, and requires one', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://x', REDIS_URL: 'redis://x' };
    expect(() => loadRgsConfig({ ...base, RGS_SECRETS_KEY: rgsLocalDefaults.RGS_SECRETS_KEY })).toThrow(/RGS_SECRETS_KEY: the local default is not accepted in production/);
    expect(() => loadRgsConfig(base)).toThrow(/RGS_SECRETS_KEY: is required/);
    expect(() => loadRgsConfig({ ...base, RGS_SECRETS_KEY: 'ab'.repeat(32), RGS_SETTLEMENT_LEASE_MS: '1000' })).toThrow(/RGS_SETTLEMENT_LEASE_MS: must exceed/);
  });
});

describe('sessions', () => {
  it('creates a player once however many launches race, with one seed pair committed before any bet', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => launch(platform, 'demo_racer')));
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(await server.prisma.rgsPlayer.count({ where: { externalId: 'demo_racer' } })).toBe(1);
    const player = await server.prisma.rgsPlayer.findFirstOrThrow({ where: { externalId: 'demo_racer' } });
    const pairs = await server.prisma.rgsSeedPair.findMany({ where: { playerId: player.id } });
    expect(pairs).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.server_seed_hash))).toEqual(new Set([pairs[0]!.serverSeedHash]));
    expect(new Set(answers.map((answer) => answer.body.session_token)).size).toBe(8);
    expect(answers[0]!.body).toMatchObject({ player_id: 'demo_racer', currency: 'USD', game_code: 'rgs-dice', jurisdiction: 'MT', nonce: 0 });
    expect(answers[0]!.body.url).toMatch(/^http:\/\/localhost:8090\/play\?game=rgs-dice&session=/);
    // Tokens and seeds at rest: a token's hash, a seed sealed.
    const stored = await server.prisma.rgsSession.findFirstOrThrow({ where: { id: answers[0]!.body.session_id } });
    expect(Buffer.from(stored.tokenSha256).equals(sha256(answers[0]!.body.session_token))).toBe(true);
    expect(testBox.open('server_seed', pairs[0]!.serverSeedSealed)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies a live session, and refuses it once revoked (a second revoke answers the same, audited once)', async () => {
    const { session_token, session_id, server_seed_hash } = await session('demo_verify');
    expect((await platform.post('/sessions/verify', { session_token })).body).toMatchObject({ session_id, server_seed_hash, nonce: 0 });
    const revoked = await platform.post('/sessions/revoke', { session_token });
    expect(revoked.body).toEqual({ session_id, revoked_at: expect.any(String) });
    expect((await platform.post('/sessions/revoke', { session_token })).body).toEqual(revoked.body);
    expect((await platform.post('/sessions/verify', { session_token })).body.error.code).toBe('SESSION_REVOKED');
    expect((await auditOf('session.revoke')).filter((entry) => entry.targetId === session_id)).toHaveLength(1);
  });

  it('refuses an expired session', async () => {
    const { session_token, session_id } = await session('demo_expired');
    await server.prisma.rgsSession.update({ where: { id: session_id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect((await platform.post('/sessions/verify', { session_token })).body.error.code).toBe('SESSION_EXPIRED');
  });

  it('refuses another currency for a known player, an unknown game, and a jurisdiction the operator does not take (audited)', async () => {
    await session('demo_currency');
    expect((await launch(platform, 'demo_currency', { currency: 'KRW' })).body.error.code).toBe('CURRENCY_MISMATCH');
    expect((await launch(platform, 'demo_currency', { game_code: 'no-such-game' })).status).toBe(404);
    const blocked = await launch(platform, 'demo_abroad', { jurisdiction: 'US' });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('JURISDICTION_BLOCKED');
    expect((await auditOf('session.launch_refused')).at(-1)).toMatchObject({ targetId: 'demo_abroad', details: { jurisdiction: 'US', code: 'JURISDICTION_BLOCKED' } });
    expect(await server.prisma.rgsPlayer.count({ where: { externalId: 'demo_abroad' } })).toBe(0);
    for (const bad of [{ currency: 'usd' }, { jurisdiction: 'Malta' }, { client_seed: '' }, { player_id: '' }]) {
      expect((await launch(platform, 'demo_bad', bad)).status).toBe(400);
    }
  });

  it("keeps operators apart: another operator's token is unknown to one, and revoking it changes nothing", async () => {
    const { session_token } = await session('demo_tenant');
    expect((await other.post('/sessions/verify', { session_token })).body.error.code).toBe('SESSION_INVALID');
    expect((await other.post('/sessions/revoke', { session_token })).body.error.code).toBe('SESSION_INVALID');
    expect((await other.post('/seeds/rotate', { session_token })).body.error.code).toBe('SESSION_INVALID');
    expect((await platform.post('/sessions/verify', { session_token })).status).toBe(200);
    // The same player id at another operator is another player.
    await session('demo_tenant', other);
    expect(await server.prisma.rgsPlayer.count({ where: { externalId: 'demo_tenant' } })).toBe(2);
  });
});

describe('a bet refused before any money moves', () => {
  it('needs an Idempotency-Key, a positive amount in the currency’s minor digits, and a pick of 1 to 6', async () => {
    const { session_token } = await session('demo_invalid');
    const before = await betCount();
    expect((await platform.bet({ session_token, amount: '1.00', pick: 3 }, null)).body.error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'the Idempotency-Key header is required',
    });
    expect((await platform.bet({ session_token, amount: '1.00', pick: 3 }, '')).status).toBe(400);
    expect((await platform.bet({ session_token, amount: '1.00', pick: 3 }, 'has spaces')).status).toBe(400);
    for (const amount of ['0', '0.00', '-1.00', '1.001', '1e2', 'abc', 5, null]) {
      const answer = await platform.bet({ session_token, amount, pick: 3 });
      expect({ amount, status: answer.status, code: answer.body.error.code }).toEqual({ amount, status: 400, code: 'INVALID_REQUEST' });
    }
    for (const pick of [0, 7, 2.5, '3']) expect((await platform.bet({ session_token, amount: '1.00', pick })).status).toBe(400);
    expect((await platform.post('/bets', '{"session_token":', { 'idempotency-key': 'malformed' })).status).toBe(400);
    expect(await betCount()).toBe(before);
  });

  it("needs a live session of the calling operator: revoked, expired, unknown and another operator's are refused", async () => {
    const revoked = await session('demo_bet_revoked');
    await platform.post('/sessions/revoke', { session_token: revoked.session_token });
    const expired = await session('demo_bet_expired');
    await server.prisma.rgsSession.update({ where: { id: expired.session_id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const theirs = await session('demo_bet_theirs', other);
    const before = await betCount();
    expect((await platform.bet({ session_token: revoked.session_token, amount: '1.00', pick: 1 })).body.error.code).toBe('SESSION_REVOKED');
    expect((await platform.bet({ session_token: expired.session_token, amount: '1.00', pick: 1 })).body.error.code).toBe('SESSION_EXPIRED');
    expect((await platform.bet({ session_token: 'made-up', amount: '1.00', pick: 1 })).body.error.code).toBe('SESSION_INVALID');
    const answer = await platform.bet({ session_token: theirs.session_token, amount: '1.00', pick: 1 });
    expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 401, code: 'SESSION_INVALID' });
    expect(await betCount()).toBe(before);
  });

  it('refuses, and audits, a bet over the maximum, in a jurisdiction no longer allowed, or without readable limits', async () => {
    const { session_token, session_id } = await session('demo_compliance');
    const before = await betCount();
    const over = await platform.bet({ session_token, amount: '1000.01', pick: 2 }, 'over-max');
    expect(over.status).toBe(403);
    expect(over.body.error).toEqual({ code: 'MAX_BET_EXCEEDED', message: 'the largest bet is 1000.00' });

    const operator = await server.prisma.rgsOperator.findUniqueOrThrow({ where: { code: 'platform' } });
    await server.prisma.rgsOperator.update({ where: { id: operator.id }, data: { allowedJurisdictions: ['GB'] } });
    const abroad = await platform.bet({ session_token, amount: '1.00', pick: 2 });
    await server.prisma.rgsOperator.update({ where: { id: operator.id }, data: { allowedJurisdictions: operator.allowedJurisdictions } });
    expect({ status: abroad.status, code: abroad.body.error.code }).toEqual({ status: 403, code: 'JURISDICTION_BLOCKED' });

    // Limits the operator has none of for the currency: refused, not let through.
    const limits = await server.prisma.rgsOperatorLimit.findUniqueOrThrow({ where: { operatorId_currency: { operatorId: operator.id, currency: 'USD' } } });
    await server.prisma.rgsOperatorLimit.delete({ where: { operatorId_currency: { operatorId: operator.id, currency: 'USD' } } });
    const missing = await platform.bet({ session_token, amount: '1.00', pick: 2 });
    await server.prisma.rgsOperatorLimit.create({ data: limits });
    expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 503, code: 'LIMITS_UNAVAILABLE' });

    // Limits that cannot be read at all (the table gone): refused too.
    await server.prisma.$executeRawUnsafe('ALTER TABLE rgs.operator_limit RENAME TO operator_limit_away');
    const unreadable = await platform.bet({ session_token, amount: '1.00', pick: 2 });
    await server.prisma.$executeRawUnsafe('ALTER TABLE rgs.operator_limit_away RENAME TO operator_limit');
    expect({ status: unreadable.status, code: unreadable.body.error.code }).toEqual({ status: 503, code: 'LIMITS_UNAVAILABLE' });

    expect(await betCount()).toBe(before);
    expect(await server.prisma.rgsSettlementOutbox.count()).toBe(0);
    const refusals = (await auditOf('bet.refused')).filter((entry) => entry.targetId === session_id);
    expect(refusals.map((entry) => (entry.details as { code: string }).code)).toEqual([
      'MAX_BET_EXCEEDED',
      'JURISDICTION_BLOCKED',
      'LIMITS_UNAVAILABLE',
      'LIMITS_UNAVAILABLE',
    ]);
    expect(refusals[0]!.details).toMatchObject({ player_id: 'demo_compliance', amount: '1000.01', pick: 2, idempotency_key: 'over-max' });
    expect(refusals[0]!.requestId).toEqual(expect.any(String));
  });
});

describe('the audit log', () => {
  it("pages the operator's own entries, newest first, and shows another operator none of them", async () => {
    for (let index = 0; index < 5; index++) await session(`demo_audit_${index}`);
    const first = await platform.get('/audit?limit=3');
    expect(first.body.items).toHaveLength(3);
    expect(first.body.items[0]).toMatchObject({ action: 'session.launch', target_type: 'session', details: { player_id: 'demo_audit_4' } });
    const ids = first.body.items.map((item: { id: string }) => BigInt(item.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
    const second = await platform.get(`/audit?limit=3&cursor=${first.body.next_cursor}`);
    expect(BigInt(second.body.items[0].id)).toBeLessThan(ids.at(-1)!);
    expect(second.body.items[0].details.player_id).toBe('demo_audit_1');

    const theirs = await other.get('/audit?limit=200');
    const platformOperator = await server.prisma.rgsOperator.findUniqueOrThrow({ where: { code: 'platform' } });
    const platformEntries = new Set((await server.prisma.rgsAuditLog.findMany({ where: { operatorId: platformOperator.id } })).map((row) => row.id.toString()));
    expect(theirs.body.items.length).toBeGreaterThan(0);
    for (const item of theirs.body.items) expect(platformEntries.has(item.id)).toBe(false);
    expect((await platform.get('/audit?cursor=abc')).status).toBe(400);
    expect((await platform.get('/audit?limit=0')).status).toBe(400);
  });
});

describe('rounds', () => {
  it('are 404 for an id the operator has not (and counted under the route template, never the raw id)', async () => {
    const id = randomUUID();
    expect((await platform.get(`/rounds/${id}`)).body.error.code).toBe('NOT_FOUND');
    expect((await platform.get('/rounds/not-a-uuid')).status).toBe(404);
    const metrics = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/rgs_http_requests_total\{[^}]*route="\/rounds\/:id"[^}]*status="404"/);
    expect(metrics).not.toContain(id);
  });
});

describe('the rate limit', () => {
  it("refuses an operator past its pace with 429 and Retry-After, leaving the other operators' pace alone", async () => {
    const limited = await startStandaloneRgs({ RGS_RATE_LIMIT_PER_MINUTE: '60', RGS_RATE_LIMIT_BURST: '2' });
    try {
      await addOperator(limited.prisma, operatorInput('other', OTHER_KEY, 'http://127.0.0.1:9'));
      const fast = operatorClient(limited.url, TEST_RGS_OPERATOR_KEY);
      const answers = [];
      for (let index = 0; index < 3; index++) answers.push(await fast.get('/audit'));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
      expect(answers[2]!.body.error.code).toBe('RATE_LIMITED');
      expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await operatorClient(limited.url, OTHER_KEY).get('/audit')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
