import { isRateLimited, retryWhile } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootPlatform, counterValue, type GraphQLResult, type TestPlatform } from './support/platform';

const LOGIN = `mutation ($i: LoginInput!) { login(input: $i) { accessToken } }`;
let platform: TestPlatform;

beforeAll(async () => {
  platform = await bootPlatform({
    // The router believes one proxy's X-Forwarded-For, so each test speaks from addresses of its own.
    TRUST_PROXY_HOPS: '1',
    LOGIN_THROTTLE_USERNAME_FAILURES: '5',
    LOGIN_THROTTLE_ADDRESS_FAILURES: '10',
    LOGIN_THROTTLE_DELAY_MS: '2000',
    LOGIN_THROTTLE_MAX_DELAY_MS: '2000',
  });
});
afterAll(async () => {
  await platform?.stop();
});

/** A login from `address`, bearing `token` (another player's) when given. */
const login = (address: string, username: string, password: string, token?: string) =>
  platform.graphql(LOGIN, { i: { username, password } }, { token, headers: { 'x-forwarded-for': address } });
const codeOf = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code;
const playerMetric = (name: string, labels: Record<string, string>) => counterValue(`${platform.metricsUrl('player')}/metrics`, name, labels);

/** Throwaway accounts, each bringing a bearer token (and so, at the router, a rate limit bucket) of its own. */
async function throwaways(prefix: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) tokens.push((await platform.register(`${prefix}_${index}`)).accessToken);
  return tokens;
}

describe('the login throttle through the router', () => {
  it('throttles guesses at one account though each carries the bearer token of another, fresh account', async () => {
    await platform.register('victim_user');
    const tokens = await throwaways('throwaway', 6);
    for (let guess = 0; guess < 5; guess++) {
      expect(codeOf(await login('198.51.100.1', 'victim_user', `wrong-${guess}`, tokens[guess]))).toBe('UNAUTHENTICATED');
    }
    const refused = await login('198.51.100.1', 'victim_user', 'password-123', tokens[5]);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(codeOf(await login('198.51.100.2', 'victim_user', 'password-123'))).toBe('RATE_LIMITED');
    expect(await playerMetric('login_failures_total', { audience: 'player' })).toBeGreaterThanOrEqual(5);
    expect(await playerMetric('login_throttled_total', { audience: 'player', by: 'username' })).toBeGreaterThanOrEqual(2);

    // The wait is bounded: once it is over, the right password signs the player in.
    const signedIn = await retryWhile(() => login('198.51.100.1', 'victim_user', 'password-123', tokens[5]), isRateLimited);
    const me = await platform.graphql(`{ me { username } }`, undefined, { token: signedIn.body.data?.login.accessToken });
    expect(me.body).toEqual({ data: { me: { username: 'victim_user' } } });
  });

  it("refuses one address spraying usernames with other accounts' tokens, by the address the router saw", async () => {
    await platform.register('sprayed_victim');
    const tokens = await throwaways('sprayer', 10);
    for (let user = 0; user < 10; user++) {
      expect(codeOf(await login('203.0.113.7', `sprayed_${user}`, 'password-123', tokens[user]))).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await login('203.0.113.7', 'sprayed_victim', 'password-123', tokens[0]))).toBe('RATE_LIMITED');
    expect(await playerMetric('login_throttled_total', { audience: 'player', by: 'address' })).toBeGreaterThanOrEqual(1);
    expect(codeOf(await login('203.0.113.8', 'sprayed_victim', 'password-123', tokens[0]))).toBeUndefined();
  });
});
