import { Redis } from 'ioredis';

const KEY_PREFIX = 'rgb:revoked-session:';
/** Where each revocation is also announced (the message is the session id), so open connections of the session end at once. */
export const SESSION_REVOKED_CHANNEL = 'rgb:session-revoked';

/**
 * Sessions ended before their access tokens expire (logout, a leaked refresh token). The
 * domain that owns the session marks it; the router refuses its access tokens. An entry
 * lives as long as an access token can, after which the token's own expiry refuses it.
 */
export class SessionRevocations {
  constructor(
    private readonly redis: Redis,
    private readonly accessTokenTtlSeconds: number,
  ) {}

  async revoke(sessionId: string): Promise<void> {
    await this.redis.multi().set(KEY_PREFIX + sessionId, '1', 'EX', this.accessTokenTtlSeconds).publish(SESSION_REVOKED_CHANNEL, sessionId).exec();
  }

  /** Which of `sessionIds` are revoked (one round trip). */
  async revokedAmong(sessionIds: string[]): Promise<string[]> {
    if (sessionIds.length === 0) return [];
    const found = await this.redis.mget(sessionIds.map((sessionId) => KEY_PREFIX + sessionId));
    return sessionIds.filter((_, index) => found[index] !== null);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(KEY_PREFIX + sessionId)) === 1;
  }
}

/**
 * A Redis client that fails fast while disconnected rather than queueing commands, so a Redis
 * outage shows up at once as errors (and in health) instead of as requests that hang.
 * `blockingMs`: the longest BLOCK this client's commands use (XREADGROUP...), which its
 * command timeout must exceed.
 */
export function createRequestRedis(url: string, { blockingMs = 0 }: { blockingMs?: number } = {}): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 + blockingMs });
}

/** Resolves once the client is connected (a fail-fast client refuses commands until then). */
export function redisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis not ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
