import { randomUUID } from 'node:crypto';
import { hashPassword } from '@rgb/auth';
import { DomainError } from '@rgb/contracts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, freePort, RedisServer, REDIS_URL, sleep, waitFor } from '../../events/test/helpers';
import { retryWhile } from '../src/testing';
import { LoginThrottle, throttledAddress, type LoginThrottlePolicy } from '../src/login-throttle';

const RIGHT = 'the-right-password';
let passwordHash: string;
const redis = await connectRedis(REDIS_URL);
const lines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });

beforeAll(async () => {
  passwordHash = await hashPassword(RIGHT);
});
afterAll(() => redis.quit());

/** Waits that no pause of a busy machine outlasts, unless a test waits them out. */
const LONG: LoginThrottlePolicy = { usernameFailures: 3, addressFailures: 6, delayMs: 60_000, maxDelayMs: 60_000, windowMs: 60_000 };

/** A throttle of its own (own metrics) over accounts of a scope of its own, so tests share nothing on the shared Redis. */
function setup(policy: LoginThrottlePolicy = LONG, client = redis) {
  const registry = new Registry();
  const throttle = new LoginThrottle(client, policy, registry);
  const scope = randomUUID();
  let checked = 0;
  const login = async (username: string, password: string, clientAddress?: string) => {
    try {
      await throttle.authenticate({ audience: 'player', accountScope: scope, username, password, clientAddress, log }, async (name) => {
        checked++;
        return name.startsWith('user_') ? { passwordHash } : null;
      });
      return 'SIGNED_IN';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return error.code === 'RATE_LIMITED' ? `RATE_LIMITED ${error.details.retryAfterSeconds}` : error.code;
    }
  };
  const counter = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)?.get())?.values.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value ?? 0;
  return { login, counter, checks: () => checked };
}

const REFUSED = /^RATE_LIMITED \d+$/;
const FAILED_LOG = 'login failed; further attempts for this username or from this address wait';

/** The waits the failures from `from` started, as logged. */
const waitsLogged = (from: string) => lines.filter((line) => line.msg === FAILED_LOG && line.client_address === from).map((line) => line.wait_ms);

/** An address no other test uses. */
const address = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;

/** The first answer of `attempt` that is not a refusal to wait. */
const once = (attempt: () => Promise<string>) => retryWhile(attempt, (answer) => REFUSED.test(answer));

describe('LoginThrottle', () => {
  it('refuses every attempt past the free failures, the right password too and without checking it, waiting longer per failure up to the cap', async () => {
    const { login, counter, checks } = setup({ usernameFailures: 3, addressFailures: 100, delayMs: 1_500, maxDelayMs: 3_000, windowMs: 60_000 });
    const from = address();
    for (let attempt = 0; attempt < 3; attempt++) expect(await login('user_escalate', 'wrong', from)).toBe('UNAUTHENTICATED');
    expect(await login('user_escalate', RIGHT, from)).toMatch(/^RATE_LIMITED [12]$/);
    expect(await login(' USER_Escalate', RIGHT, address())).toMatch(REFUSED);
    expect(checks()).toBe(3);

    expect(await once(() => login('user_escalate', 'wrong', from))).toBe('UNAUTHENTICATED');
    expect(await login('user_escalate', RIGHT, from)).toMatch(REFUSED);
    expect(await once(() => login('user_escalate', 'wrong', from))).toBe('UNAUTHENTICATED');
    expect(await login('user_escalate', RIGHT, from)).toMatch(REFUSED);
    expect(waitsLogged(from)).toEqual([1_500, 3_000, 3_000]);
    expect(await counter('login_failures_total', { audience: 'player' })).toBe(5);
    expect(await counter('login_throttled_total', { audience: 'player', by: 'username' })).toBeGreaterThanOrEqual(4);

    expect(await once(() => login('user_escalate', RIGHT, from))).toBe('SIGNED_IN');
    // The success forgot the failures: three are free again.
    for (let attempt = 0; attempt < 3; attempt++) expect(await login('user_escalate', 'wrong', from)).toBe('UNAUTHENTICATED');
    expect(await login('user_escalate', RIGHT, from)).toMatch(REFUSED);
  }, 60_000);

  it('counts an unknown username like a wrong password and answers it alike', async () => {
    const { login } = setup();
    for (let attempt = 0; attempt < 3; attempt++) expect(await login('nobody_here', RIGHT)).toBe('UNAUTHENTICATED');
    expect(await login('nobody_here', RIGHT)).toMatch(/^RATE_LIMITED (59|60)$/);
  });

  it('throttles attempts sent together like attempts sent one after another', async () => {
    const { login, checks } = setup();
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('user_burst', 'wrong', address())));
    expect(answers.filter((answer) => answer === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(answers.filter((answer) => answer.startsWith('RATE_LIMITED'))).toHaveLength(17);
    expect(checks()).toBe(3);
  });

  it('throttles one address spraying many usernames, and no other address', async () => {
    const { login, counter } = setup();
    const sprayer = address();
    for (let user = 0; user < 6; user++) expect(await login(`user_spray_${user}`, 'wrong', sprayer)).toBe('UNAUTHENTICATED');
    expect(await login('user_spray_victim', RIGHT, sprayer)).toMatch(REFUSED);
    expect(await counter('login_throttled_total', { audience: 'player', by: 'address' })).toBe(1);
    expect(await login('user_spray_victim', RIGHT, address())).toBe('SIGNED_IN');
  });

  it('counts an IPv6 client by its /64', async () => {
    expect(throttledAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttledAddress('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(throttledAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttledAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttledAddress('192.0.2.7')).toBe('192.0.2.7');
    const { login } = setup();
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    for (let host = 1; host <= 6; host++) expect(await login(`user_v6_${host}`, 'wrong', `${prefix}::${host}`)).toBe('UNAUTHENTICATED');
    expect(await login('user_v6_other', RIGHT, `${prefix}:9::7`)).toMatch(REFUSED);
  });

  it('does not count a right password against its address', async () => {
    const { login } = setup();
    const office = address();
    for (let user = 0; user < 10; user++) expect(await login(`user_office_${user}`, RIGHT, office)).toBe('SIGNED_IN');
    for (let user = 0; user < 6; user++) expect(await login(`user_office_${user}`, 'wrong', office)).toBe('UNAUTHENTICATED');
    expect(await login('user_office_0', RIGHT, office)).toMatch(REFUSED);
  });

  it('lets the right password through from an address the account signed in from while others guess it, but not a wrong one', async () => {
    const { login } = setup();
    const home = address();
    expect(await login('user_home', RIGHT, home)).toBe('SIGNED_IN');
    for (let attempt = 0; attempt < 3; attempt++) expect(await login('user_home', 'wrong', address())).toBe('UNAUTHENTICATED');
    expect(await login('user_home', RIGHT, address())).toMatch(REFUSED);
    expect(await login('user_home', RIGHT)).toMatch(REFUSED);
    expect(await login('user_home', RIGHT, home)).toBe('SIGNED_IN');
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'login let through a throttle: the account signed in from this address before', client_address: home }));

    // The success forgot the username's failures; the guessing starts over.
    for (let attempt = 0; attempt < 3; attempt++) expect(await login('user_home', 'wrong', address())).toBe('UNAUTHENTICATED');
    expect(await login('user_home', 'wrong', home)).toBe('UNAUTHENTICATED');
    // Home now failed too: it waits like anyone else.
    expect(await login('user_home', RIGHT, home)).toMatch(REFUSED);
  });

  it('lets the right password through from a known address that someone else sprays from, while the username is clean', async () => {
    const { login } = setup();
    const shared = address();
    expect(await login('user_neighbour', RIGHT, shared)).toBe('SIGNED_IN');
    for (let user = 0; user < 6; user++) expect(await login(`user_sprayed_${user}`, 'wrong', shared)).toBe('UNAUTHENTICATED');
    expect(await login('user_stranger', RIGHT, shared)).toMatch(REFUSED);
    expect(await login('user_neighbour', RIGHT, shared)).toBe('SIGNED_IN');
  });

  it('forgets the failures a window after the last wait', async () => {
    const { login } = setup({ usernameFailures: 1, addressFailures: 100, delayMs: 2_000, maxDelayMs: 8_000, windowMs: 1_000 });
    const from = address();
    const failedAt = Date.now();
    expect(await login('user_forgotten', 'wrong', from)).toBe('UNAUTHENTICATED');
    expect(await login('user_forgotten', RIGHT, from)).toMatch(REFUSED);
    // The wait (2 s) and the window (1 s) have passed: the next failure is a first one again (2 s, not 4).
    await sleep(failedAt + 3_500 - Date.now());
    expect(await login('user_forgotten', 'wrong', from)).toBe('UNAUTHENTICATED');
    expect(waitsLogged(from)).toEqual([2_000, 2_000]);
  });

  it('logs the wait it starts with the hash of the username and the address, never the username or the password', async () => {
    const { login } = setup();
    const from = address();
    for (let attempt = 0; attempt < 3; attempt++) await login('user_logged', 'secret-typed-here', from);
    const line = lines.find((entry) => entry.msg === FAILED_LOG && entry.client_address === from);
    expect(line).toMatchObject({ level: 40, audience: 'player', username_failures: 3, address_failures: 3, wait_ms: 60_000 });
    expect(line?.username_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(line)).not.toMatch(/user_logged|secret-typed-here/);
  });
});

describe('LoginThrottle without Redis', () => {
  let server: RedisServer;
  let own: Awaited<ReturnType<typeof connectRedis>>;
  beforeAll(async () => {
    server = new RedisServer(await freePort());
    await server.start();
    own = await connectRedis(server.url);
  });
  afterAll(async () => {
    own?.disconnect();
    await server?.dispose();
  });

  it('checks passwords unthrottled (rather than refusing every login), and logs and counts it', async () => {
    const { login, counter } = setup(LONG, own);
    expect(await login('user_outage', 'wrong')).toBe('UNAUTHENTICATED');
    await server.stop();
    await waitFor('the client to notice the outage', () => own.status !== 'ready');
    for (let attempt = 0; attempt < 5; attempt++) expect(await login('user_outage', 'wrong')).toBe('UNAUTHENTICATED');
    expect(await login('user_outage', RIGHT)).toBe('SIGNED_IN');
    expect(await counter('login_throttle_check_failures_total', { audience: 'player' })).toBe(6);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'login throttle unavailable; checking the password unthrottled' }));
  });
});
