import { Redis } from 'ioredis';

const KEY_PREFIX = 'rgb:revoked-session:';

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
    await this.redis.set(KEY_PREFIX + sessionId, '1', 'EX', this.accessTokenTtlSeconds);
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
