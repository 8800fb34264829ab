/**
 * Golden tests of the legacy REST contract (docs/api/legacy-clients.md): each request goes over
 * HTTP to a router in front of every subgraph, and the whole JSON answer is compared, volatile
 * values (tokens, ids, dates) by shape. Money moved here is checked against the ledger.
 */
import { randomBytes } from 'node:crypto';
import { TEST_ADMIN_PASSWORD } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../../../subgraphs/wallet/src/reconciliation';
import type { Router } from '../src/server';
import { graphql, httpRequest, startLocalPlatform, type LocalPlatform } from './local-platform';

let platform: LocalPlatform;
let router: Router;
let url: string;

beforeAll(async () => {
  platform = await startLocalPlatform();
  ({ router, url } = await platform.router());
});
afterAll(async () => {
  await platform?.close();
});

interface LegacyAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** A legacy call to the router (or to `via`): JSON in (an object is serialised, a string sent as it is), the parsed JSON out. */
async function legacy(
  method: string,
  path: string,
  { token, body, host = 'localhost', headers = {}, via = url }: { token?: string; body?: unknown; host?: string; headers?: Record<string, string>; via?: string } = {},
): Promise<LegacyAnswer> {
  const sent: Record<string, string> = { host, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers };
  if (token) sent.authorization = `Bearer ${token}`;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const answer = await httpRequest(`${via}${path}`, method, sent, payload);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  return { status: answer.status, headers: answer.headers, body: JSON.parse(answer.text) };
}

const failure = (status: number, code: number, message: string | RegExp) => ({
  status,
  body: { code, message: typeof message === 'string' ? message : expect.stringMatching(message), data: null },
});
const success = (data: unknown) => ({ status: 200, body: { code: 0, message: 'ok', data } });
const answerOf = ({ status, body }: LegacyAnswer) => ({ status, body });

const JWT = expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/);
const REFRESH_TOKEN = expect.stringMatching(/^\S{20,}$/);
const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const ISO_DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

async function register(username: string, host = 'localhost'): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await legacy('POST', '/api/v1/auth/register', { host, body: { username, password: 'password-123', nickname: `${username}-nick` } });
  expect(answerOf(answer)).toEqual(success({ access_token: JWT, refresh_token: REFRESH_TOKEN }));
  return (answer.body as { data: { access_token: string; refresh_token: string } }).data;
}

/** Staff approve a pending deposit through /graphql, as the back office does. */
async function approveDeposit(id: string): Promise<void> {
  const login = await graphql<{ staffLogin: { accessToken: string } }>(url, 'mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }', {
    variables: { p: TEST_ADMIN_PASSWORD },
  });
  const approved = await graphql(url, 'mutation ($id: ID!) { approveDeposit(id: $id) { status } }', { token: login.body.data!.staffLogin.accessToken, variables: { id } });
  expect(approved.body).toEqual({ data: { approveDeposit: { status: 'APPROVED' } } });
}

/** Every balance equals the sum of its ledger, and the player's balance and history agree. */
async function expectBooks(token: string, balance: string): Promise<void> {
  expect(await findLedgerMismatches(platform.admin.deps.prisma)).toEqual([]);
  expect(answerOf(await legacy('GET', '/api/v1/wallet/balance', { token }))).toEqual(success({ balance, currency: 'USD' }));
  const history = (await legacy('GET', '/api/v1/wallet/history?size=100', { token })).body as { data: { items: { amount: string; balance_after: string }[] } };
  const cents = history.data.items.reduce((sum, item) => sum + Math.round(Number(item.amount) * 100), 0);
  expect((cents / 100).toFixed(2)).toBe(balance);
  expect(history.data.items[0]?.balance_after ?? '0.00').toBe(balance);
}

describe('POST /api/v1/auth/register and /login', () => {
  it('registers and signs in, answering the tokens', async () => {
    await register('legacy_alice');
    const login = await legacy('POST', '/api/v1/auth/login', { body: { username: 'legacy_alice', password: 'password-123' } });
    expect(answerOf(login)).toEqual(success({ access_token: JWT, refresh_token: REFRESH_TOKEN }));
  });

  it('refuses a taken username, a wrong password and bad input', async () => {
    const body = { username: 'legacy_alice', password: 'password-123', nickname: 'again' };
    expect(answerOf(await legacy('POST', '/api/v1/auth/register', { body }))).toEqual(failure(409, 40900, 'username is taken'));
    expect(answerOf(await legacy('POST', '/api/v1/auth/login', { body: { username: 'legacy_alice', password: 'wrong-password' } }))).toEqual(
      failure(401, 40100, 'invalid username or password'),
    );
    expect(answerOf(await legacy('POST', '/api/v1/auth/login', { body: { username: 'legacy_alice' } }))).toEqual(
      failure(400, 40000, 'Variable "$password" of required type "String!" was not provided.'),
    );
    expect(answerOf(await legacy('POST', '/api/v1/auth/register', { body: { username: 'legacy_bob', password: 12345678, nickname: 'b' } }))).toEqual(
      failure(400, 40000, 'Variable "$password" got invalid value 12345678; String cannot represent a non string value: 12345678'),
    );
    expect(answerOf(await legacy('POST', '/api/v1/auth/login', { body: '{"username": "legacy_alice", ' }))).toEqual(
      failure(400, 40000, "Body is not valid JSON but content-type is set to 'application/json'"),
    );
    expect(answerOf(await legacy('POST', '/api/v1/auth/login', { body: '["legacy_alice"]' }))).toEqual(failure(400, 40000, 'the body must be a JSON object'));
    expect(answerOf(await legacy('POST', '/api/v1/auth/login', { body: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }))).toEqual(
      failure(415, 41500, 'the body must be JSON (content-type: application/json)'),
    );
  });

  it('refuses a body larger than the limit, before reading it', async () => {
    const body = JSON.stringify({ username: 'legacy_big', password: 'password-123', nickname: 'x'.repeat(70_000) });
    expect(answerOf(await legacy('POST', '/api/v1/auth/register', { body }))).toEqual(failure(413, 41300, 'Request body is too large'));
  });
});

describe('GET /api/v1/member/me and /wallet/balance', () => {
  let token: string;
  beforeAll(async () => {
    token = (await register('legacy_carol')).access_token;
  });

  it('answers the player and the wallet', async () => {
    expect(answerOf(await legacy('GET', '/api/v1/member/me', { token }))).toEqual(
      success({ id: UUID, username: 'legacy_carol', nickname: 'legacy_carol-nick', balance: '0.00', currency: 'USD' }),
    );
    expect(answerOf(await legacy('GET', '/api/v1/wallet/balance', { token }))).toEqual(success({ balance: '0.00', currency: 'USD' }));
  });

  it('refuses without a token, with a bad token, with another brand\'s token and on an unknown host', async () => {
    for (const path of ['/api/v1/member/me', '/api/v1/wallet/balance', '/api/v1/wallet/history']) {
      expect(answerOf(await legacy('GET', path))).toEqual(failure(401, 40100, 'authentication required'));
      expect(answerOf(await legacy('GET', path, { token: 'not.a.token' }))).toEqual(failure(401, 40100, 'invalid token'));
    }
    expect(answerOf(await legacy('GET', '/api/v1/member/me', { headers: { authorization: 'Basic abc' } }))).toEqual(
      failure(401, 40100, 'the Authorization header must be "Bearer <token>"'),
    );
    const acme = (await register('legacy_acme', 'acme.localhost')).access_token;
    expect(answerOf(await legacy('GET', '/api/v1/member/me', { token: acme, host: 'acme.localhost' }))).toEqual(
      success({ id: UUID, username: 'legacy_acme', nickname: 'legacy_acme-nick', balance: '0', currency: 'KRW' }),
    );
    expect(answerOf(await legacy('GET', '/api/v1/member/me', { token: acme }))).toEqual(failure(403, 40300, 'this token belongs to another brand'));
    expect(answerOf(await legacy('GET', '/api/v1/member/me', { token, host: 'unknown.example' }))).toEqual(failure(421, 42100, 'no brand is served on this host'));
  });

  it('answers 503 while the wallet cannot be reached, the partial GraphQL answer being no legacy answer', async () => {
    await platform.stop('wallet');
    try {
      for (const path of ['/api/v1/member/me', '/api/v1/wallet/balance']) {
        expect(answerOf(await legacy('GET', path, { token }))).toEqual(failure(503, 50300, 'temporarily unavailable; try again later'));
      }
    } finally {
      await platform.start('wallet');
    }
    expect(answerOf(await legacy('GET', '/api/v1/wallet/balance', { token }))).toEqual(success({ balance: '0.00', currency: 'USD' }));
  });
});

describe('deposits, withdrawals and the history', () => {
  let token: string;
  let depositId: string;
  let withdrawalId: string;
  beforeAll(async () => {
    token = (await register('legacy_dave')).access_token;
  });

  it('requests a deposit, credited once staff approve it', async () => {
    const requested = await legacy('POST', '/api/v1/deposit', { token, body: { amount: '100.50', depositor_name: 'Dave' } });
    expect(answerOf(requested)).toEqual(success({ deposit_id: UUID, status: 'PENDING' }));
    await expectBooks(token, '0.00');
    depositId = (requested.body as { data: { deposit_id: string } }).data.deposit_id;
    await approveDeposit(depositId);
    await expectBooks(token, '100.50');
  });

  it('refuses a bad amount, a missing field and an anonymous caller, moving nothing', async () => {
    const refusals: [{ token?: string; body: unknown }, ReturnType<typeof failure>][] = [
      [{ token, body: { amount: '10.505', depositor_name: 'Dave' } }, failure(400, 40000, 'USD amounts take at most 2 decimals')],
      [{ token, body: { amount: 10.5, depositor_name: 'Dave' } }, failure(400, 40000, '$amount: Money is a decimal string such as "10.50", never a number')],
      [{ token, body: { amount: '-5.00', depositor_name: 'Dave' } }, failure(400, 40000, '"-5.00" is not a plain decimal amount')],
      [{ token, body: { depositor_name: 'Dave' } }, failure(400, 40000, 'Variable "$amount" of required type "Money!" was not provided.')],
      [{ token, body: { amount: '5.00' } }, failure(400, 40000, 'Variable "$depositor_name" of required type "String!" was not provided.')],
      [{ body: { amount: '5.00', depositor_name: 'Dave' } }, failure(401, 40100, 'authentication required')],
    ];
    const prisma = platform.admin.deps.prisma;
    const requests = async () => ({ deposits: await prisma.depositRequest.count(), withdrawals: await prisma.withdrawalRequest.count() });
    const before = await requests();
    for (const [request, expected] of refusals) expect(answerOf(await legacy('POST', '/api/v1/deposit', request))).toEqual(expected);
    expect(answerOf(await legacy('POST', '/api/v1/withdraw', { token, body: { amount: 1 } }))).toEqual(
      failure(400, 40000, '$amount: Money is a decimal string such as "10.50", never a number'),
    );
    expect(answerOf(await legacy('POST', '/api/v1/withdraw', { token, body: { amount: '1.001' } }))).toEqual(failure(400, 40000, 'USD amounts take at most 2 decimals'));
    expect(await requests()).toEqual(before);
    await expectBooks(token, '100.50');
  });

  it('refuses a withdrawal rolling holds with 422 and code 42202, holding nothing', async () => {
    // No rolling_worker runs here: rolling has not processed the approved deposit yet.
    expect(answerOf(await legacy('POST', '/api/v1/withdraw', { token, body: { amount: '40.25' } }))).toEqual(
      failure(422, 42202, 'a deposit approved moments ago is still being processed; try again shortly'),
    );
    await expectBooks(token, '100.50');
    // As rolling_worker records it for this brand, whose deposits carry no requirement.
    const prisma = platform.admin.deps.prisma;
    const deposit = await prisma.depositRequest.findUniqueOrThrow({ where: { id: depositId } });
    await prisma.processedDeposit.create({ data: { depositRequestId: deposit.id, brandId: deposit.brandId, playerId: deposit.playerId } });
  });

  it('holds a withdrawal at once, once per idempotency key, and refuses more than the balance', async () => {
    const key = { 'idempotency-key': 'legacy-withdraw-1' };
    const held = await legacy('POST', '/api/v1/withdraw', { token, body: { amount: '40.25' }, headers: key });
    expect(answerOf(held)).toEqual(success({ withdrawal_id: UUID, status: 'PENDING' }));
    withdrawalId = (held.body as { data: { withdrawal_id: string } }).data.withdrawal_id;
    expect(answerOf(await legacy('POST', '/api/v1/withdraw', { token, body: { amount: '40.25' }, headers: key }))).toEqual(answerOf(held));
    await expectBooks(token, '60.25');
    expect(answerOf(await legacy('POST', '/api/v1/withdraw', { token, body: { amount: '60.26' } }))).toEqual(failure(422, 42201, 'insufficient funds'));
    await expectBooks(token, '60.25');
  });

  it('lists the ledger newest first, by numbered pages', async () => {
    const first = await legacy('GET', '/api/v1/wallet/history', { token });
    expect(answerOf(first)).toEqual(
      success({
        items: [
          { id: UUID, kind: 'WITHDRAWAL_HOLD', amount: '-40.25', balance_after: '60.25', reference: `withdrawal_request:${withdrawalId}`, created_at: ISO_DATE },
          { id: UUID, kind: 'DEPOSIT', amount: '100.50', balance_after: '100.50', reference: `deposit_request:${depositId}`, created_at: ISO_DATE },
        ],
        total: 2,
      }),
    );
    const [newest, oldest] = (first.body as { data: { items: unknown[] } }).data.items;
    expect(answerOf(await legacy('GET', '/api/v1/wallet/history?page=1&size=1', { token }))).toEqual(success({ items: [newest], total: 2 }));
    expect(answerOf(await legacy('GET', '/api/v1/wallet/history?page=2&size=1', { token }))).toEqual(success({ items: [oldest], total: 2 }));
    expect(answerOf(await legacy('GET', '/api/v1/wallet/history?page=3&size=1', { token }))).toEqual(success({ items: [], total: 2 }));
    expect(answerOf(await legacy('GET', '/api/v1/wallet/history?page=&size=', { token }))).toEqual(answerOf(first));
  });

  it('refuses page and size out of range', async () => {
    for (const query of ['page=0', 'page=-1', 'page=1.5', 'page=x', 'page=1&page=2']) {
      expect(answerOf(await legacy('GET', `/api/v1/wallet/history?${query}`, { token }))).toEqual(failure(400, 40000, 'page must be a whole number from 1 to 999999999'));
    }
    for (const query of ['size=0', 'size=101']) {
      expect(answerOf(await legacy('GET', `/api/v1/wallet/history?${query}`, { token }))).toEqual(failure(400, 40000, 'size must be a whole number from 1 to 100'));
    }
    expect(answerOf(await legacy('GET', '/api/v1/wallet/history?page=502&size=20', { token }))).toEqual(failure(400, 40000, 'offset must be between 0 and 10000'));
  });
});

describe('routes outside the contract, the rate limit and the metrics', () => {
  it('answers an unknown route 404 and a known path with another method 405, in the envelope', async () => {
    expect(answerOf(await legacy('GET', '/api/v1/nothing/here'))).toEqual(failure(404, 40400, 'no route GET /api/v1/nothing/here'));
    expect(answerOf(await legacy('POST', '/api/v1/wallet', { body: {} }))).toEqual(failure(404, 40400, 'no route POST /api/v1/wallet'));
    const wrongMethod = await legacy('GET', '/api/v1/deposit');
    expect(answerOf(wrongMethod)).toEqual(failure(405, 40500, '/api/v1/deposit does not take GET; it takes POST'));
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(answerOf(await legacy('DELETE', '/api/v1/member/me?x=1'))).toEqual(failure(405, 40500, '/api/v1/member/me does not take DELETE; it takes GET'));
  });

  it('answers 429 with Retry-After past the rate limit of a caller, and past the login throttle', async () => {
    // Its own router: one request a minute per caller, and the client address from X-Forwarded-For,
    // so that the login failures below count against an address of this test's own.
    const { router: limited, url: limitedUrl } = await platform.router({
      env: { RATE_LIMIT_CALLER_PER_MINUTE: '1', RATE_LIMIT_CALLER_BURST: '1', TRUST_PROXY_HOPS: '1' },
    });
    const token = (await register('legacy_eve')).access_token;
    expect(answerOf(await legacy('GET', '/api/v1/wallet/balance', { token, via: limitedUrl }))).toEqual(success({ balance: '0.00', currency: 'USD' }));
    const limitedAnswer = await legacy('GET', '/api/v1/wallet/balance', { token, via: limitedUrl });
    expect(answerOf(limitedAnswer)).toEqual(failure(429, 42900, /^too many requests: retry in \d+ s$/));
    expect(Number(limitedAnswer.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(await limited.metrics.registry.getSingleMetricAsString('legacy_requests_total')).toContain(
      'legacy_requests_total{route="GET /api/v1/wallet/balance",status="429",service="router"} 1',
    );

    const address = `10.${randomBytes(3).join('.')}`;
    const login = (password: string) =>
      legacy('POST', '/api/v1/auth/login', { body: { username: 'legacy_eve', password }, headers: { 'x-forwarded-for': address }, via: limitedUrl });
    for (let attempt = 0; attempt < 5; attempt++) expect((await login('wrong-password')).status).toBe(401);
    const throttled = await login('password-123');
    expect(answerOf(throttled)).toEqual(failure(429, 42900, /^too many failed logins: retry in \d+ s$/));
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('counts every legacy request by route and status, with its duration', async () => {
    const counted = await router.metrics.registry.getSingleMetricAsString('legacy_requests_total');
    expect(counted).toMatch(/legacy_requests_total\{route="GET \/api\/v1\/member\/me",status="200",service="router"\} [1-9]/);
    expect(counted).toMatch(/legacy_requests_total\{route="POST \/api\/v1\/withdraw",status="422",service="router"\} 2/);
    expect(counted).toMatch(/legacy_requests_total\{route="unknown",status="404",service="router"\} 2/);
    expect(await router.metrics.registry.getSingleMetricAsString('legacy_request_duration_seconds')).toMatch(
      /legacy_request_duration_seconds_count\{service="router",route="POST \/api\/v1\/deposit"\} [1-9]/,
    );
  });
});
