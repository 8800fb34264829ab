import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, firstError, isRateLimited, retryWhile, type SeededTestSubgraph } from '@rgb/kit/testing';
import { LOGIN, PASSWORD, REFRESH, REGISTER, register, startPlayerSubgraph } from './helpers';

let server: SeededTestSubgraph;
beforeAll(async () => {
  // Five failures of a username, eight of an address, then 2 s waits: short enough to wait out.
  server = await startPlayerSubgraph({ LOGIN_THROTTLE_ADDRESS_FAILURES: '8', LOGIN_THROTTLE_DELAY_MS: '2000', LOGIN_THROTTLE_MAX_DELAY_MS: '2000' });
});
afterAll(() => server?.close());

const registerAs = (input: Record<string, unknown>, brand = server.brands.demo) =>
  server.graphql(REGISTER, { input: { username: 'someone', password: PASSWORD, nickname: 'Someone', ...input } }, anonymous(brand));
const login = (username: string, password: string, brand = server.brands.demo, clientAddress?: string) =>
  server.graphql<{ login: { accessToken: string } }>(LOGIN, { input: { username, password } }, anonymous(brand, clientAddress));
const refresh = (token: string, brand = server.brands.demo) =>
  server.graphql<{ refreshToken: { accessToken: string; refreshToken: string } }>(REFRESH, { token }, anonymous(brand));

describe('registerPlayer', () => {
  it('returns tokens the user token service verifies for the brand, and stores the username in lower case', async () => {
    const { id, tokens } = await register(server, server.brands.demo, 'Alice_Reg');
    const claims = await server.deps.userTokens.verify(tokens.accessToken, ['player']);
    expect(claims).toMatchObject({ audience: 'player', subject: id, brandId: server.brands.demo.id });
    const stored = await server.deps.prisma.player.findUniqueOrThrow({ where: { id } });
    expect(stored).toMatchObject({ username: 'alice_reg', nickname: 'Alice_Reg', brandId: server.brands.demo.id });
  });

  it('refuses a taken username, in any case, with CONFLICT', async () => {
    await register(server, server.brands.demo, 'taken_name');
    expect(firstError(await registerAs({ username: 'taken_name' }))?.code).toBe('CONFLICT');
    expect(firstError(await registerAs({ username: 'TAKEN_Name' }))?.code).toBe('CONFLICT');
  });

  it.each([
    [{ username: 'a!b' }, 'username must be 4 to 20 letters, digits or underscores'],
    [{ username: 'abc' }, 'username must be 4 to 20 letters, digits or underscores'],
    [{ password: 'short' }, 'password must be 8 to 128 characters'],
    [{ nickname: '' }, 'nickname must be 1 to 30 characters'],
  ])('refuses %o with BAD_USER_INPUT naming the problem', async (input, problem) => {
    const error = firstError(await registerAs(input));
    expect(error?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain(problem);
  });

  it('lists every problem at once', async () => {
    const error = firstError(await registerAs({ username: 'x', password: 'short', nickname: '' }));
    expect(error?.message).toMatch(/username.*password.*nickname/);
  });
});

describe('login', () => {
  it('logs a registered player in, whatever the case of the username', async () => {
    const { id } = await register(server, server.brands.demo, 'login_ok');
    const response = await login('LOGIN_OK', PASSWORD);
    const claims = await server.deps.userTokens.verify(response.body.data!.login.accessToken, ['player']);
    expect(claims.subject).toBe(id);
  });

  it('answers a wrong password and an unknown user with the same UNAUTHENTICATED error', async () => {
    await register(server, server.brands.demo, 'login_wrong');
    const wrongPassword = firstError(await login('login_wrong', 'not-the-password'));
    const unknownUser = firstError(await login('nobody_here', PASSWORD));
    expect(wrongPassword).toEqual({ code: 'UNAUTHENTICATED', message: 'invalid username or password' });
    expect(unknownUser).toEqual(wrongPassword);
  });

  it('refuses a player blocked while their session was being opened, and ends that session', async () => {
    const { id } = await register(server, server.brands.demo, 'login_raced');
    const { prisma, revocations } = server.deps;
    // The block commits right as the login inserts its session: after the login's status check, before its tokens go out.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION player.block_on_login() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE player.player SET status = 'BLOCKED' WHERE id = NEW.subject_id; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER block_on_login AFTER INSERT ON player.player_session FOR EACH ROW WHEN (NEW.subject_id = '${id}'::uuid) EXECUTE FUNCTION player.block_on_login()`,
    );
    try {
      expect(firstError(await login('login_raced', PASSWORD))).toEqual({ code: 'FORBIDDEN', message: 'account blocked' });
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER block_on_login ON player.player_session');
      await prisma.$executeRawUnsafe('DROP FUNCTION player.block_on_login()');
    }
    const sessions = await prisma.playerSession.findMany({ where: { subjectId: id } });
    expect(sessions).toHaveLength(2);
    for (const session of sessions) {
      expect(session.revokedAt).not.toBeNull();
      expect(await revocations.isRevoked(session.id)).toBe(true);
    }
  });
});

describe('login throttle', () => {
  /** An address no other test (of any file sharing this Redis) uses. */
  const address = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(256)}`;
  const loginFrom = (clientAddress: string, username: string, password: string) => login(username, password, server.brands.demo, clientAddress);
  const counted = async (name: string, labels: Record<string, string>) =>
    (await server.deps.metrics.registry.getSingleMetric(name)?.get())?.values.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value ?? 0;

  it('refuses even the right password with RATE_LIMITED after five wrong ones, from any address, and lets it in once the wait is over', async () => {
    const { id } = await register(server, server.brands.demo, 'guessed_user');
    const attacker = address();
    const failuresBefore = await counted('login_failures_total', { audience: 'player' });
    for (let guess = 0; guess < 5; guess++) {
      expect(firstError(await loginFrom(attacker, 'guessed_user', `wrong-${guess}`))).toEqual({ code: 'UNAUTHENTICATED', message: 'invalid username or password' });
    }
    const refused = await loginFrom(attacker, 'guessed_user', PASSWORD);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^too many failed logins: retry in [12] s$/),
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
    });
    expect(firstError(await loginFrom(address(), 'GUESSED_User', PASSWORD))?.code).toBe('RATE_LIMITED');
    expect(await counted('login_failures_total', { audience: 'player' })).toBe(failuresBefore + 5);
    expect(await counted('login_throttled_total', { audience: 'player', by: 'username' })).toBeGreaterThanOrEqual(2);

    const afterTheWait = await retryWhile(() => loginFrom(attacker, 'guessed_user', PASSWORD), isRateLimited);
    expect((await server.deps.userTokens.verify(afterTheWait.body.data!.login.accessToken, ['player'])).subject).toBe(id);
  });

  it('throttles an unknown username exactly like a known one', async () => {
    await register(server, server.brands.demo, 'known_user');
    const answers = async (username: string) => {
      const from = address();
      const seen = [];
      for (let guess = 0; guess < 6; guess++) seen.push(firstError(await loginFrom(from, username, 'wrong-password'))?.code);
      return seen;
    };
    const known = await answers('known_user');
    expect(known).toEqual([...new Array(5).fill('UNAUTHENTICATED'), 'RATE_LIMITED']);
    expect(await answers('unknown_user')).toEqual(known);
  });

  it('refuses one address that sprays many usernames, the right password of another player too, and no other address', async () => {
    await register(server, server.brands.demo, 'sprayed_user');
    const sprayer = address();
    for (let user = 0; user < 8; user++) expect(firstError(await loginFrom(sprayer, `sprayed_${user}`, PASSWORD))?.code).toBe('UNAUTHENTICATED');
    expect(firstError(await loginFrom(sprayer, 'sprayed_user', PASSWORD))?.code).toBe('RATE_LIMITED');
    expect(await counted('login_throttled_total', { audience: 'player', by: 'address' })).toBeGreaterThanOrEqual(1);
    expect(firstError(await loginFrom(address(), 'sprayed_user', PASSWORD))).toBeUndefined();
  });

  it('lets the player in from an address they signed in from while someone elsewhere guesses their password', async () => {
    await register(server, server.brands.demo, 'home_user');
    const home = address();
    expect(firstError(await loginFrom(home, 'home_user', PASSWORD))).toBeUndefined();
    for (let guess = 0; guess < 5; guess++) await loginFrom(address(), 'home_user', `wrong-${guess}`);
    expect(firstError(await loginFrom(address(), 'home_user', PASSWORD))?.code).toBe('RATE_LIMITED');
    expect(firstError(await loginFrom(home, 'home_user', PASSWORD))).toBeUndefined();
  });
});

describe('brand isolation', () => {
  it('does not log a player in on another brand, where the same username can register separately', async () => {
    const demoPlayer = await register(server, server.brands.demo, 'twin_user');
    expect(firstError(await login('twin_user', PASSWORD, server.brands.acme))?.code).toBe('UNAUTHENTICATED');

    const acmePlayer = await register(server, server.brands.acme, 'twin_user');
    expect(acmePlayer.id).not.toBe(demoPlayer.id);
    const acmeLogin = await login('twin_user', PASSWORD, server.brands.acme);
    const claims = await server.deps.userTokens.verify(acmeLogin.body.data!.login.accessToken, ['player']);
    expect(claims).toMatchObject({ subject: acmePlayer.id, brandId: server.brands.acme.id });
  });
});

describe('refreshToken', () => {
  it('rotates: the new token works, the old one is refused', async () => {
    const { id, tokens } = await register(server, server.brands.demo, 'refresh_rotate');
    const second = (await refresh(tokens.refreshToken)).body.data!.refreshToken;
    expect(second.refreshToken).not.toBe(tokens.refreshToken);
    expect((await server.deps.userTokens.verify(second.accessToken, ['player'])).subject).toBe(id);

    expect(firstError(await refresh(tokens.refreshToken))?.code).toBe('UNAUTHENTICATED');
  });

  it('revokes the session when a token rotated away several times is presented again', async () => {
    const { tokens } = await register(server, server.brands.demo, 'refresh_reuse_deep');
    let latest = tokens;
    for (let rotation = 0; rotation < 3; rotation++) latest = (await refresh(latest.refreshToken)).body.data!.refreshToken;
    expect(firstError(await refresh(tokens.refreshToken))?.code).toBe('UNAUTHENTICATED'); // the first token, three rotations old
    expect(firstError(await refresh(latest.refreshToken))?.code).toBe('UNAUTHENTICATED');
    const { sessionId } = (await server.deps.userTokens.verify(latest.accessToken, ['player'])) as { sessionId: string };
    expect(await server.deps.revocations.isRevoked(sessionId)).toBe(true);
  });

  it('ends no session for a forged token naming it', async () => {
    const { tokens } = await register(server, server.brands.demo, 'refresh_forged');
    const [sessionId] = tokens.refreshToken.split('.');
    expect(firstError(await refresh(`${sessionId}.0.${'A'.repeat(43)}`))?.code).toBe('UNAUTHENTICATED');
    expect(await server.deps.revocations.isRevoked(sessionId!)).toBe(false);
    expect((await refresh(tokens.refreshToken)).body.data?.refreshToken.refreshToken).toBeTruthy();
  });

  it('revokes the session when a rotated-away token is presented again', async () => {
    const { tokens } = await register(server, server.brands.demo, 'refresh_reuse');
    const second = (await refresh(tokens.refreshToken)).body.data!.refreshToken;
    await refresh(tokens.refreshToken); // replay: the token leaked
    expect(firstError(await refresh(second.refreshToken))?.code).toBe('UNAUTHENTICATED');
    const { sessionId } = await server.deps.userTokens.verify(second.accessToken, ['player']) as { sessionId: string };
    expect(await server.deps.revocations.isRevoked(sessionId)).toBe(true);
  });

  it('refuses a token on another brand, and leaves it working on its own', async () => {
    const { tokens } = await register(server, server.brands.demo, 'refresh_brand');
    expect(firstError(await refresh(tokens.refreshToken, server.brands.acme))?.code).toBe('UNAUTHENTICATED');
    expect((await refresh(tokens.refreshToken)).body.data?.refreshToken.refreshToken).toBeTruthy();
  });

  it('refuses a blocked player and ends the session', async () => {
    const player = await register(server, server.brands.demo, 'refresh_blocked');
    await server.deps.prisma.player.update({ where: { id: player.id }, data: { status: 'BLOCKED' } });
    expect(firstError(await refresh(player.tokens.refreshToken))?.code).toBe('FORBIDDEN');
    const sessionId = (player.context.caller as { sessionId: string }).sessionId;
    expect(await server.deps.revocations.isRevoked(sessionId)).toBe(true);
    await server.deps.prisma.player.update({ where: { id: player.id }, data: { status: 'ACTIVE' } });
    expect(firstError(await refresh(player.tokens.refreshToken))?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token that was never issued', async () => {
    expect(firstError(await refresh('not-a-refresh-token'))?.code).toBe('UNAUTHENTICATED');
  });
});

describe('logout', () => {
  it("revokes the session's refresh token and marks its access tokens revoked", async () => {
    const player = await register(server, server.brands.demo, 'logout_user');
    const sessionId = (player.context.caller as { sessionId: string }).sessionId;
    expect(await server.deps.revocations.isRevoked(sessionId)).toBe(false);
    const response = await server.graphql(`mutation { logout }`, undefined, player.context);
    expect(response.body).toEqual({ data: { logout: true } });
    expect(firstError(await refresh(player.tokens.refreshToken))?.code).toBe('UNAUTHENTICATED');
    expect(await server.deps.revocations.isRevoked(sessionId)).toBe(true);
  });

  it('requires a signed-in player', async () => {
    const response = await server.graphql(`mutation { logout }`, undefined, anonymous(server.brands.demo));
    expect(firstError(response)?.code).toBe('UNAUTHENTICATED');
  });
});
