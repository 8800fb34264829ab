import { SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { type AccessClaims, hashPassword, RefreshTokens, TokenError, TokenService, verifyPassword } from '../src';

const secret = 'test-secret-test-secret-test-secret!';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsf', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('refuses a hash it does not understand rather than answering false', async () => {
    await expect(verifyPassword('x', 'md5$abc')).rejects.toThrow(/unknown format/);
  });
});

describe('tokens', () => {
  const tokens = new TokenService({ secret });
  const claims = { audience: 'player', subject: 'p1', brandId: 'b1', sessionId: 's1' } as const;

  it('round-trips access claims for the allowed audience, with when the token expires', async () => {
    const signedAt = Math.floor(Date.now() / 1000) * 1000;
    const token = await tokens.signAccess(claims);
    const verified = await tokens.verify(token, ['player']);
    expect(verified).toEqual({ ...claims, expiresAt: expect.any(Number) });
    expect((verified as { expiresAt: number }).expiresAt - signedAt).toBeGreaterThanOrEqual(tokens.accessTokenTtlSeconds * 1000);
    expect((verified as { expiresAt: number }).expiresAt - signedAt).toBeLessThanOrEqual((tokens.accessTokenTtlSeconds + 1) * 1000);
  });

  it('carries the brands an agent may serve in its token, and refuses a malformed list', async () => {
    const agent: AccessClaims = { audience: 'agent', subject: 'a1', brandId: 'b1', sessionId: 's1', brandIds: ['b1', 'b2'] };
    expect(await tokens.verify(await tokens.signAccess(agent), ['agent'])).toEqual({ ...agent, expiresAt: expect.any(Number) });
    const malformed = await new SignJWT({ brand_id: 'b1', sid: 's1', brand_ids: 'b1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('rgb')
      .setAudience('agent')
      .setSubject('a1')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    await expect(tokens.verify(malformed, ['agent'])).rejects.toThrow(TokenError);
  });

  it('refuses a token of another audience', async () => {
    const token = await tokens.signAccess(claims);
    await expect(tokens.verify(token, ['staff'])).rejects.toThrow(TokenError);
  });

  it('refuses a token signed with another secret', async () => {
    const other = new TokenService({ secret: 'another-secret-another-secret-12345' });
    await expect(tokens.verify(await other.signAccess(claims), ['player'])).rejects.toThrow('invalid token');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await tokens.signAccess(claims)).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'p2', aud: 'player', iss: 'rgb', brand_id: 'b1', sid: 's1', exp: 9e9 })).toString('base64url');
    await expect(tokens.verify(`${header}.${forged}.${signature}`, ['player'])).rejects.toThrow('invalid token');
  });

  it('refuses an expired token', async () => {
    const expired = await new SignJWT({ brand_id: 'b1', sid: 's1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('rgb')
      .setAudience('player')
      .setSubject('p1')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(secret));
    await expect(tokens.verify(expired, ['player'])).rejects.toThrow('token expired');
  });

  it('refuses the none algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'p1', aud: 'player', iss: 'rgb', brand_id: 'b1', sid: 's1', exp: 9e9 })).toString('base64url');
    await expect(tokens.verify(`${header}.${body}.`, ['player'])).rejects.toThrow(TokenError);
  });

  it('signs service tokens only service audiences accept', async () => {
    const token = await tokens.signService('router');
    expect(await tokens.verify(token, ['service'])).toEqual({ audience: 'service', subject: 'router' });
    await expect(tokens.verify(token, ['player', 'staff'])).rejects.toThrow(TokenError);
  });

  it('keeps refusing the wrong audience and an expired token once a token was verified', async () => {
    const shortLived = new TokenService({ secret, accessTokenTtlSeconds: 60 });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const token = await shortLived.signAccess(claims);
      expect(await shortLived.verify(token, ['player'])).toEqual({ ...claims, expiresAt: expect.any(Number) });
      await expect(shortLived.verify(token, ['staff'])).rejects.toThrow(TokenError);
      vi.setSystemTime(Date.now() + 61_000);
      await expect(shortLived.verify(token, ['player'])).rejects.toThrow('token expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a short secret', () => {
    expect(() => new TokenService({ secret: 'short' })).toThrow(/at least 32/);
  });
});

describe('refresh tokens', () => {
  const secret = 'r'.repeat(40);
  const sessionId = '0190a1b2-0000-7000-8000-0000000000a1';

  it('name their session and generation, and read back only as issued by this secret', () => {
    const tokens = new RefreshTokens(secret);
    const token = tokens.issue({ sessionId, generation: 7 });
    expect(tokens.read(token)).toEqual({ sessionId, generation: 7 });
    expect(new RefreshTokens('s'.repeat(40)).read(token)).toBeNull();
    // Another generation or session under the same MAC, a flipped MAC character, or junk.
    const [, , mac] = token.split('.');
    expect(tokens.read(`${sessionId}.8.${mac}`)).toBeNull();
    expect(tokens.read(`0190a1b2-0000-7000-8000-0000000000a2.7.${mac}`)).toBeNull();
    expect(tokens.read(`${sessionId}.7.${mac!.startsWith('A') ? 'B' : 'A'}${mac!.slice(1)}`)).toBeNull();
    for (const junk of ['', 'not-a-token', `${sessionId}.7`, `${sessionId}.-1.${mac}`, `${token}x`]) expect(tokens.read(junk)).toBeNull();
  });
});
