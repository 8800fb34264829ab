import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ContextTokens, CONTEXT_HEADER, type ForwardedContext } from '@rgb/kit';
import { anonymous, type SeededTestSubgraph } from '@rgb/kit/testing';
import { startPlayerSubgraph } from './helpers';

let server: SeededTestSubgraph;
let context: ForwardedContext;
beforeAll(async () => {
  server = await startPlayerSubgraph();
  context = anonymous(server.brands.demo);
});
afterAll(() => server?.close());

async function post(headers: Record<string, string>) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

describe('requests without valid router proof', () => {
  it('are answered 401 when the context header is missing', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(response.body.data).toBeUndefined();
  });

  it('are answered 401 when the context token is signed with another secret', async () => {
    const forged = await new ContextTokens('a-secret-the-router-does-not-hold-0123456789', 'router').sign(context);
    expect((await post({ [CONTEXT_HEADER]: forged })).status).toBe(401);
  });

  it('are answered 401 when the context token has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 5 * 60_000);
    const expired = await new ContextTokens(server.deps.config.INTERNAL_JWT_SECRET, 'router').sign(context);
    vi.useRealTimers();
    expect((await post({ [CONTEXT_HEADER]: expired })).status).toBe(401);
  });

  it('are served when the token is valid (the control case)', async () => {
    const valid = await new ContextTokens(server.deps.config.INTERNAL_JWT_SECRET, 'router').sign(context);
    expect(await post({ [CONTEXT_HEADER]: valid })).toEqual({ status: 200, body: { data: { me: null } } });
  });
});
