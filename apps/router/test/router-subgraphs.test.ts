import { waitFor } from '@rgb/kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doublingQuery } from './documents';
import { graphql, startLocalPlatform, type LocalPlatform } from './local-platform';

let platform: LocalPlatform;
let url: string;
let productionUrl: string;
/** What the development router logged, one parsed pino line each. */
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  platform = await startLocalPlatform();
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  url = (await platform.router({ log })).url;
  productionUrl = (await platform.router({ nodeEnv: 'production' })).url;
});
afterAll(async () => {
  await platform?.close();
});

const health = async (routerUrl: string, probe = '/health') => {
  const response = await fetch(`${routerUrl}${probe}`);
  return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
};

describe('operation limits at the router', () => {
  it('refuses 25 fragments that each spread the next twice at once, and answers /health meanwhile', async () => {
    const query = doublingQuery(25, '{ me { ...F0 } }', 'Player');
    expect(query.length).toBeLessThan(1_100);
    const started = performance.now();
    const [refused, healthDuring] = await Promise.all([graphql(url, query), health(url)]);
    // Walking its 2^25 expanded fields held the event loop about 9 s.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ message: 'query cost exceeds the limit of 5000', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    expect(healthDuring.status).toBe(200);
  });

  it('refuses the same expansion of __typename alone, which costs like any field', async () => {
    const refused = await graphql(url, doublingQuery(25, '{ ...F0 }', 'Query', '__typename'));
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toBe('query cost exceeds the limit of 5000');
  });

  it('refuses 500 aliases of __typename', async () => {
    const refused = await graphql(url, `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ message: 'Aliases limit of 30 exceeded, found 500.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
  });

  it('refuses a document past the token limit while parsing, before any validation', async () => {
    // 3,000 unknown fields: validated, each would get an error of its own.
    const refused = await graphql(url, `{ ${'unknownField '.repeat(3_000)} }`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/more that 2000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });

  it('names nothing in production that introspection hides, where development suggests', async () => {
    const mistakes: { query: string; variables?: Record<string, unknown>; hidden: string }[] = [
      { query: 'mutation { approveDepost(id: "1") { id } }', hidden: 'approveDeposit' },
      { query: '{ depositRequests(statu: PENDING) { totalCount } }', hidden: '"status"' },
      { query: '{ depositRequests(status: PENDIN) { totalCount } }', hidden: '"PENDING"' },
      { query: 'query ($s: RequestStatu) { depositRequests(status: $s) { totalCount } }', hidden: '"RequestStatus"' },
      { query: 'query ($s: RequestStatus) { depositRequests(status: $s) { totalCount } }', variables: { s: 'PENDIN' }, hidden: '"PENDING"' },
    ];
    for (const { query, variables, hidden } of mistakes) {
      const production = await graphql(productionUrl, query, { variables });
      expect(production.status).toBe(400);
      const messages = production.body.errors!.map((error) => error.message).join(' ');
      expect(messages).not.toMatch(/Did you mean/);
      expect(messages).not.toContain(hidden);
      expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(production.body.errors?.[0]?.extensions?.code);
      const development = await graphql(url, query, { variables });
      expect(development.body.errors?.[0]?.message).toMatch(new RegExp(`Did you mean .*${hidden}`));
    }
  });
});

describe('a subgraph that is down', () => {
  it('fails only its fields: the player answers, wallet is null with SERVICE_UNAVAILABLE, logged once', async () => {
    const registered = await graphql<{ registerPlayer: { accessToken: string } }>(
      url,
      'mutation { registerPlayer(input: { username: "walletless", password: "password-123", nickname: "W" }) { accessToken } }',
    );
    const token = registered.body.data!.registerPlayer.accessToken;
    const ME = '{ me { id username wallet { balance } } }';
    expect((await graphql(url, ME, { token })).body.data?.me).toMatchObject({ username: 'walletless', wallet: { balance: '0.00' } });

    await platform.stop('wallet');
    try {
      const partial = await graphql(url, ME, { token });
      expect(partial.status).toBe(200);
      expect(partial.body.data).toEqual({ me: { id: expect.any(String), username: 'walletless', wallet: null } });
      expect(partial.body.errors).toEqual([
        { message: 'temporarily unavailable; try again later', path: ['me', 'wallet'], extensions: { code: 'SERVICE_UNAVAILABLE' } },
      ]);
      const failures = logged.filter((line) => line.request_id === partial.requestId && Number(line.level) >= 50);
      expect(failures).toEqual([expect.objectContaining({ msg: 'subgraph request failed', subgraph: 'wallet', err: expect.objectContaining({ code: 'ECONNREFUSED' }) })]);
    } finally {
      await platform.start('wallet');
    }
    expect((await graphql(url, ME, { token })).body.data?.me).toMatchObject({ wallet: { balance: '0.00' } });
  });

  it('makes /health answer 503 naming it, and 200 again once it is back, while /ready and /live stay 200', async () => {
    await waitFor('healthy router', async () => (await health(url)).status === 200);
    await platform.stop('wallet');
    try {
      const unhealthy = await waitFor('router unhealthy', async () => {
        const answer = await health(url);
        return answer.status === 503 && answer;
      });
      expect(unhealthy.body).toEqual({ status: 'unavailable', reason: 'subgraphs: wallet unreachable (ECONNREFUSED)' });
      // The router still serves what the other subgraphs answer: it stays in traffic.
      expect(await health(url, '/ready')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await health(url, '/live')).toEqual({ status: 200, body: { status: 'ok' } });
    } finally {
      await platform.start('wallet');
    }
    await waitFor('router healthy again', async () => (await health(url)).status === 200);
  });
});
