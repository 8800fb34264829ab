import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootPlatform, counterValue, send, type TestPlatform } from './support/platform';

const ME = `{ me { id username wallet { balance currency } } }`;
let platform: TestPlatform;

beforeAll(async () => {
  platform = await bootPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

describe('the first slice through the router', () => {
  it('registers, logs in and reads a zero USD wallet on localhost', async () => {
    await platform.register('alice_demo');
    const login = await platform.graphql(
      `mutation { login(input: { username: "alice_demo", password: "password-123" }) { accessToken refreshToken } }`,
    );
    const token = login.body.data.login.accessToken;
    const me = await platform.graphql(ME, undefined, { token });
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toMatchObject({ username: 'alice_demo', wallet: { balance: '0.00', currency: 'USD' } });
  });

  it('reads a zero KRW wallet on acme.localhost', async () => {
    const { accessToken } = await platform.register('alice_acme', 'acme.localhost');
    const me = await platform.graphql(ME, undefined, { token: accessToken, host: 'acme.localhost' });
    expect(me.body.data.me).toMatchObject({ username: 'alice_acme', wallet: { balance: '0', currency: 'KRW' } });
  });

  it('keeps brands apart: one username on both brands, each login sees its own player', async () => {
    await platform.register('twin_user');
    await platform.register('twin_user', 'acme.localhost');
    const demo = await platform.graphql(ME, undefined, { token: (await platform.register('twin_other')).accessToken });
    expect(demo.body.data.me.wallet.currency).toBe('USD');
    const acmeLogin = await platform.graphql(
      `mutation { login(input: { username: "twin_user", password: "password-123" }) { accessToken } }`,
      undefined,
      { host: 'acme.localhost' },
    );
    const acme = await platform.graphql(ME, undefined, { token: acmeLogin.body.data.login.accessToken, host: 'acme.localhost' });
    expect(acme.body.data.me).toMatchObject({ username: 'twin_user', wallet: { currency: 'KRW' } });
  });

  it('answers me with null for an anonymous caller', async () => {
    const me = await platform.graphql(ME);
    expect(me.body).toEqual({ data: { me: null } });
  });

  it('lets staff read a player and their wallet, and not a player', async () => {
    const { accessToken: playerToken } = await platform.register('bob_staffview');
    const { data } = (await platform.graphql(ME, undefined, { token: playerToken })).body;
    const staff = await platform.graphql(
      `mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`,
      { p: platform.secrets.ADMIN_PASSWORD },
    );
    const staffToken = staff.body.data.staffLogin.accessToken;
    const query = `query ($id: ID!) { player(id: $id) { username wallet { balance currency } } }`;
    const asStaff = await platform.graphql(query, { id: data.me.id }, { token: staffToken });
    expect(asStaff.body.data.player).toEqual({ username: 'bob_staffview', wallet: { balance: '0.00', currency: 'USD' } });
    const asPlayer = await platform.graphql(query, { id: data.me.id }, { token: playerToken });
    expect(asPlayer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('rotates refresh tokens and ends the session on logout', async () => {
    const first = await platform.register('carol_refresh');
    const refresh = `mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }`;
    const second = await platform.graphql(refresh, { t: first.refreshToken });
    expect(second.body.data.refreshToken.refreshToken).not.toBe(first.refreshToken);
    const replay = await platform.graphql(refresh, { t: first.refreshToken });
    expect(replay.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const third = await platform.register('carol_logout');
    const logout = await platform.graphql(`mutation { logout }`, undefined, { token: third.accessToken });
    expect(logout.body.data).toEqual({ logout: true });
    const afterLogout = await platform.graphql(refresh, { t: third.refreshToken });
    expect(afterLogout.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const accessAfterLogout = await platform.graphql(ME, undefined, { token: third.accessToken });
    expect(accessAfterLogout.status).toBe(401);
    expect(accessAfterLogout.body.errors?.[0]?.message).toBe('this session has ended');
  });
});

describe('brands at the edge', () => {
  it('refuses a demo token on acme.localhost under enforce, and counts it', async () => {
    const metrics = `${platform.metricsUrl('router')}/metrics`;
    const labels = { mode: 'enforce', audience: 'player' };
    const before = await counterValue(metrics, 'brand_mismatch_total', labels);
    const { accessToken } = await platform.register('dave_demo');
    const result = await platform.graphql(ME, undefined, { token: accessToken, host: 'acme.localhost' });
    expect(result.status).toBe(403);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.body.data).toBeUndefined();
    expect(await counterValue(metrics, 'brand_mismatch_total', labels)).toBe(before + 1);
  });

  it('refuses a host no brand owns', async () => {
    const result = await platform.graphql(ME, undefined, { host: 'evil.example' });
    expect(result.status).toBe(421);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNKNOWN_HOST');
  });

  it('ignores the port of the Host header', async () => {
    const result = await platform.graphql(`{ currentBrand { code currency } }`, undefined, { host: 'acme.localhost:8080' });
    expect(result.body.data).toEqual({ currentBrand: { code: 'acme', currency: 'KRW' } });
  });

  it.each(['player', 'wallet', 'admin'])('refuses a request sent straight to the %s subgraph without the router proof', async (name) => {
    const direct = await fetch(`${platform.serviceUrl(name)}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-rgb-context': 'forged' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(direct.status).toBe(401);
  });
});

describe('bad input', () => {
  it('answers a wrong password and an unknown user alike', async () => {
    await platform.register('erin_pw');
    const login = (username: string, password: string) =>
      platform.graphql(`mutation ($i: LoginInput!) { login(input: $i) { accessToken } }`, { i: { username, password } });
    const wrongPassword = await login('erin_pw', 'not-the-password');
    const unknownUser = await login('nobody_here', 'password-123');
    expect(wrongPassword.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(wrongPassword.body.errors?.[0]?.message).toBe(unknownUser.body.errors?.[0]?.message);
    expect(unknownUser.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a taken username with CONFLICT and bad fields with BAD_USER_INPUT', async () => {
    await platform.register('frank_taken');
    const register = (username: string, password: string) =>
      platform.graphql(`mutation ($i: RegisterPlayerInput!) { registerPlayer(input: $i) { accessToken } }`, {
        i: { username, password, nickname: 'n' },
      });
    expect((await register('FRANK_TAKEN', 'password-123')).body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const short = await register('frank_short', 'short');
    expect(short.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(short.body.errors?.[0]?.message).toMatch(/password/);
    const badName = await register('no spaces!', 'password-123');
    expect(badName.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(badName.body.errors?.[0]?.message).toMatch(/username/);
  });

  it('answers malformed GraphQL and malformed JSON with 400', async () => {
    const malformed = await platform.graphql(`{ me { id `);
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const badJson = await platform.post('/graphql', '{"query": ');
    expect(badJson.status).toBe(400);
  });

  it('refuses a query 30 levels deep', async () => {
    const nest = (levels: number) => `{ ${'me { '.repeat(levels)}id${' }'.repeat(levels)} }`;
    const result = await platform.graphql(nest(30));
    expect(result.status).toBe(400);
    expect(result.body.errors?.map((e) => e.message).join()).toMatch(/Query depth limit of \d+ exceeded/);
  });

  it('refuses 500 aliases, of __typename too', async () => {
    // 1,500 tokens: within the token limit, so the alias limit is what refuses it.
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ');
    const result = await platform.graphql(`{ ${aliases} }`);
    expect(result.status).toBe(400);
    expect(result.body.errors?.map((e) => e.message).join()).toMatch(/Aliases limit of \d+ exceeded, found 500/);
  });

  it('refuses an expired token and a tampered one', async () => {
    const key = new TextEncoder().encode(platform.secrets.AUTH_JWT_SECRET);
    const expired = await new SignJWT({ brand_id: 'x', sid: 'y' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('rgb')
      .setAudience('player')
      .setSubject('someone')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
      .sign(key);
    const expiredResult = await platform.graphql(ME, undefined, { token: expired });
    expect(expiredResult.status).toBe(401);
    expect(expiredResult.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const { accessToken } = await platform.register('gina_tamper');
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })).toString('base64url');
    const tampered = await platform.graphql(ME, undefined, { token: `${header}.${forged}.${signature}` });
    expect(tampered.status).toBe(401);
  });

  it('refuses an oversized body with 413', async () => {
    const huge = JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(200 * 1024) } });
    const response = await platform.post('/graphql', huge);
    expect(response.status).toBe(413);
  });

  it('refuses a GET query without a CSRF preflight header', async () => {
    const response = await send(`${platform.routerUrl}/graphql?query=${encodeURIComponent('{ me { id } }')}`, 'GET', {
      host: 'localhost',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/CSRF|preflight/i);
  });
});
