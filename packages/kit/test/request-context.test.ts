import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContextTokens, type BrandRef, type ForwardedContext } from '../src/request-context';

const SECRET = 'internal-secret-for-the-context-tests-0123';
const brand: BrandRef = { id: '0190a1b2-0000-7000-8000-000000000001', code: 'demo', currency: 'USD' };
const context: ForwardedContext = {
  brand,
  caller: { kind: 'player', id: '0190a1b2-0000-7000-8000-000000000002', brandId: brand.id, sessionId: '0190a1b2-0000-7000-8000-000000000003' },
};
const tokens = new ContextTokens(SECRET, 'router');

afterEach(() => {
  vi.useRealTimers();
});

describe('ContextTokens', () => {
  it('verifies what it signed: brand and caller', async () => {
    expect(await tokens.verify(await tokens.sign(context))).toEqual(context);
    expect(await tokens.verify(await tokens.sign({ brand, caller: null }))).toEqual({ brand, caller: null });
  });

  it('carries the client address when one is given, and none otherwise', async () => {
    const verified = await tokens.verify(await tokens.sign({ ...context, clientAddress: '192.0.2.7' }));
    expect(verified).toEqual({ ...context, clientAddress: '192.0.2.7' });
    expect(await tokens.verify(await tokens.sign(context))).not.toHaveProperty('clientAddress');
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new ContextTokens('another-secret-nobody-should-trust-0123', 'router').sign(context);
    await expect(tokens.verify(forged)).rejects.toThrow();
  });

  it('refuses an expired token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 61_000);
    const old = await new ContextTokens(SECRET, 'router').sign(context);
    vi.useRealTimers();
    await expect(tokens.verify(old)).rejects.toThrow(/exp/);
  });

  it('reuses a signature for the same context, and stops accepting a verified token once it expires', async () => {
    const signer = new ContextTokens(SECRET, 'router');
    const verifier = new ContextTokens(SECRET, 'subgraph');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const token = await signer.sign(context);
      expect(await signer.sign(context)).toBe(token);
      expect(await signer.sign({ ...context, caller: null })).not.toBe(token);
      expect(await verifier.verify(token)).toEqual(context);
      vi.setSystemTime(Date.now() + 31_000);
      expect(await signer.sign(context)).not.toBe(token);
      vi.setSystemTime(Date.now() + 30_000);
      await expect(verifier.verify(token)).rejects.toThrow(/exp/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a token without a brand', async () => {
    const brandless = await tokens.sign({ brand: undefined as unknown as BrandRef, caller: null });
    await expect(tokens.verify(brandless)).rejects.toThrow('context token lacks a brand');
  });

  it('refuses a missing or malformed token', async () => {
    await expect(tokens.verify(undefined)).rejects.toThrow('missing context token');
    await expect(tokens.verify('not.a.jwt')).rejects.toThrow();
  });
});
