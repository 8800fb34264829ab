import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { UNKNOWN_USER_PASSWORD_HASH, verifyPassword } from '@rgb/auth';
import { rateLimited, unauthenticated } from '@rgb/contracts';
import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { UserKind } from './request-context';
import type { ServiceDeps } from './subgraph-server';

/** How many failures are free and how long the waits past them are (see `loginThrottleEnv`). */
export interface LoginThrottlePolicy {
  usernameFailures: number;
  addressFailures: number;
  delayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

/** Who is signing in, as the request tells it. */
export interface LoginRequest {
  /** As typed; compared trimmed and in lower case. */
  username: string;
  password: string;
  /** The client's address the router forwarded; without one only the username is throttled. */
  clientAddress: string | undefined;
  /** The request's logger (request id, brand). */
  log: Logger;
}

/** A login request and the accounts its username is looked up among. */
export interface LoginAttempt extends LoginRequest {
  audience: UserKind;
  /** Where a username names one account: the brand id for players, `platform` for staff and agents (one account on every brand). */
  accountScope: string;
}

/** Usernames are case-insensitive: stored, looked up and throttled in lower case. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * The address failures are counted under: IPv4 as it is (an IPv4-mapped IPv6 address as its
 * IPv4), IPv6 by its /64, which one subscriber holds whole and could otherwise walk through.
 */
export function throttledAddress(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!isIPv6(bare)) return address;
  // A trailing dotted quad is two groups.
  const hex = bare.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${(Number(a) * 256 + Number(b)).toString(16)}:${(Number(c) * 256 + Number(d)).toString(16)}`);
  const [head = '', tail] = hex.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/** An address the account signed in from within this long lets a correct password through a throttle (see ADMIT). */
const KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;
const KNOWN_ADDRESSES_KEPT = 10;

const CLOCK = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * Admits an attempt, or says how long it must wait. KEYS: the username's failures, the
 * account's known addresses, then (when the request has a client address) the address's failures.
 * ARGV: free failures of a username and of an address, first and longest wait, window, the
 * address, how long an address stays known.
 *
 * A counter holds the attempts not (yet) proven right and when the last was admitted; past its
 * free failures the next attempt waits `delay * 2^(failures - free)`, capped. Admitting counts
 * the attempt at once, so attempts sent together are throttled like attempts sent one by one;
 * a success takes it back (SUCCEED). A refused attempt counts nothing: it checked no password.
 *
 * While one counter throttles, an address the account signed in from recently gets through
 * if the other counter holds no failures: the player at home still signs in while someone
 * elsewhere guesses their password, or while someone behind the same address sprays usernames.
 * A fresh address does not: that would give an attacker one guess per address they can borrow.
 * Returns {wait ms, throttled by, username failures, wait ms if it fails, address failures, wait ms if it fails}.
 */
const ADMIT = `${CLOCK}
local user_free, address_free = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, longest, window = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local by_address = #KEYS == 3
local function delay(failures, free)
  if failures < free then return 0 end
  return math.min(longest, first * 2 ^ (failures - free))
end
local function read(key, free)
  local state = redis.call('HMGET', key, 'failures', 'last')
  local failures = tonumber(state[1]) or 0
  if failures == 0 then return 0, 0 end
  return failures, math.max(0, tonumber(state[2]) + delay(failures, free) - now)
end
local function count(key, failures, free)
  redis.call('HSET', key, 'failures', failures + 1, 'last', now)
  local next_wait = delay(failures + 1, free)
  redis.call('PEXPIRE', key, next_wait + window)
  return next_wait
end
local user_failures, user_wait = read(KEYS[1], user_free)
local address_failures, address_wait = 0, 0
if by_address then address_failures, address_wait = read(KEYS[3], address_free) end
local by = ''
if user_wait > 0 or address_wait > 0 then
  local seen = by_address and redis.call('ZSCORE', KEYS[2], ARGV[6])
  if seen and tonumber(seen) > now - tonumber(ARGV[7]) and (user_failures == 0 or address_failures == 0) then
    by = 'known'
  elseif address_wait >= user_wait then
    return {address_wait, 'address', user_failures, 0, address_failures, 0}
  else
    return {user_wait, 'username', user_failures, 0, address_failures, 0}
  end
end
local next_user = count(KEYS[1], user_failures, user_free)
local next_address = 0
if by_address then next_address = count(KEYS[3], address_failures, address_free) end
return {0, by, user_failures + 1, next_user, by_address and address_failures + 1 or 0, next_address}`;

/**
 * A right password: forgets the username's failures, takes the attempt back from the address
 * (its other failures stay) and remembers the address for the account. KEYS as ADMIT; ARGV:
 * the address, how long it stays known, how many addresses are kept.
 */
const SUCCEED = `${CLOCK}
redis.call('DEL', KEYS[1])
if #KEYS == 3 then
  if redis.call('HINCRBY', KEYS[3], 'failures', -1) <= 0 then redis.call('DEL', KEYS[3]) end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[3]) - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 0`;

type Admission = [waitMs: number, by: '' | 'known' | 'username' | 'address', usernameFailures: number, usernameNextWaitMs: number, addressFailures: number, addressNextWaitMs: number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    loginThrottleAdmit(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<Admission, Context>;
    loginThrottleSucceed(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;
  }
}

interface AttemptKeys {
  /** What logs name the username by (typed usernames may hold a password typed in the wrong field). */
  usernameHash: string;
  address: string | undefined;
  redisKeys: string[];
}

/**
 * Password guessing, bounded: failed logins are counted per username and per client address in
 * Redis (shared by every instance), and past a few each attempt waits longer, refused with
 * RATE_LIMITED before any password is checked, so a guess, even the right one, gets nowhere
 * while the wait runs. Waits are capped and forgotten, so nobody can lock a player out for
 * good. Unknown usernames are counted and answered exactly like wrong passwords. Every login
 * mutation goes through `authenticate`.
 */
export class LoginThrottle {
  private readonly failures: Counter<'audience'>;
  private readonly throttled: Counter<'audience' | 'by'>;
  private readonly unavailable: Counter<'audience'>;

  constructor(
    private readonly redis: Redis,
    private readonly policy: LoginThrottlePolicy,
    registry: Registry,
  ) {
    redis.defineCommand('loginThrottleAdmit', { lua: ADMIT });
    redis.defineCommand('loginThrottleSucceed', { lua: SUCCEED });
    this.failures = new Counter({
      name: 'login_failures_total',
      help: 'Logins refused for a wrong username or password, by audience',
      labelNames: ['audience'] as const,
      registers: [registry],
    });
    this.throttled = new Counter({
      name: 'login_throttled_total',
      help: 'Logins refused unchecked while the username or the client address waits out its failures, by audience',
      labelNames: ['audience', 'by'] as const,
      registers: [registry],
    });
    this.unavailable = new Counter({
      name: 'login_throttle_check_failures_total',
      help: 'Logins let through unthrottled because Redis could not answer, by audience',
      labelNames: ['audience'] as const,
      registers: [registry],
    });
  }

  /**
   * The account whose password this is; RATE_LIMITED (with `retryAfterSeconds`) while the
   * username or address waits, UNAUTHENTICATED for an unknown username or a wrong password,
   * one answer in the same time. `find` gets the username normalised.
   */
  async authenticate<Account extends { passwordHash: string }>(
    attempt: LoginAttempt,
    find: (username: string) => Promise<Account | null>,
  ): Promise<Account> {
    const username = normalizeUsername(attempt.username);
    const keys = this.keysOf(attempt, username);
    const admission = await this.admit(attempt, keys);
    const account = await find(username);
    const valid = await verifyPassword(attempt.password, account?.passwordHash ?? UNKNOWN_USER_PASSWORD_HASH);
    if (!account || !valid) {
      this.failures.inc({ audience: attempt.audience });
      const waitMs = admission ? Math.max(admission[3], admission[5]) : 0;
      if (waitMs > 0) {
        attempt.log.warn(
          { audience: attempt.audience, username_hash: keys.usernameHash, client_address: keys.address, username_failures: admission![2], address_failures: admission![4], wait_ms: waitMs },
          'login failed; further attempts for this username or from this address wait',
        );
      }
      throw unauthenticated('invalid username or password');
    }
    if (admission) await this.succeed(attempt, keys);
    return account;
  }

  private keysOf({ audience, accountScope, clientAddress }: LoginAttempt, username: string): AttemptKeys {
    const usernameHash = createHash('sha256').update(`${accountScope}\n${username}`).digest('hex').slice(0, 32);
    const address = clientAddress === undefined ? undefined : throttledAddress(clientAddress);
    const redisKeys = [`rgb:login:${audience}:username:${usernameHash}`, `rgb:login:${audience}:known:${usernameHash}`];
    // Per audience on every brand: moving to another brand's host buys no fresh guesses.
    if (address !== undefined) redisKeys.push(`rgb:login:${audience}:address:${address}`);
    return { usernameHash, address, redisKeys };
  }

  /**
   * The admission, or null when Redis could not answer. Then the login goes on unthrottled
   * (logged, counted): refusing every login during a Redis outage would take every player and
   * staff member offline, while guessing stays bounded by the password hash's cost and the alarm
   * this counter raises. Throws RATE_LIMITED when the attempt must wait.
   */
  private async admit(attempt: LoginAttempt, keys: AttemptKeys): Promise<Admission | null> {
    const { usernameFailures, addressFailures, delayMs, maxDelayMs, windowMs } = this.policy;
    let admission: Admission;
    try {
      admission = await this.redis.loginThrottleAdmit(
        keys.redisKeys.length,
        ...keys.redisKeys,
        usernameFailures,
        addressFailures,
        delayMs,
        maxDelayMs,
        windowMs,
        keys.address ?? '',
        KNOWN_ADDRESS_MS,
      );
    } catch (error) {
      this.unavailable.inc({ audience: attempt.audience });
      attempt.log.error({ err: error, audience: attempt.audience }, 'login throttle unavailable; checking the password unthrottled');
      return null;
    }
    const [waitMs, by] = admission;
    if (by === 'known') {
      attempt.log.info(
        { audience: attempt.audience, username_hash: keys.usernameHash, client_address: keys.address },
        'login let through a throttle: the account signed in from this address before',
      );
    }
    if (by === 'username' || by === 'address') {
      this.throttled.inc({ audience: attempt.audience, by });
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw rateLimited(`too many failed logins: retry in ${seconds} s`, seconds);
    }
    return admission;
  }

  /** A failure here leaves the username's failures to expire on their own; the login stands. */
  private async succeed(attempt: LoginAttempt, keys: AttemptKeys): Promise<void> {
    try {
      await this.redis.loginThrottleSucceed(keys.redisKeys.length, ...keys.redisKeys, keys.address ?? '', KNOWN_ADDRESS_MS, KNOWN_ADDRESSES_KEPT);
    } catch (error) {
      this.unavailable.inc({ audience: attempt.audience });
      attempt.log.error({ err: error, audience: attempt.audience }, 'login throttle unavailable; the failures of a successful login were not forgotten');
    }
  }
}

/** The throttle of a service that signs people in, configured from its LOGIN_THROTTLE_* variables. */
export function createLoginThrottle({ redis, config, metrics }: ServiceDeps): LoginThrottle {
  return new LoginThrottle(
    redis,
    {
      usernameFailures: config.LOGIN_THROTTLE_USERNAME_FAILURES,
      addressFailures: config.LOGIN_THROTTLE_ADDRESS_FAILURES,
      delayMs: config.LOGIN_THROTTLE_DELAY_MS,
      maxDelayMs: config.LOGIN_THROTTLE_MAX_DELAY_MS,
      windowMs: config.LOGIN_THROTTLE_WINDOW_MS,
    },
    metrics.registry,
  );
}
