import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ChangeNoticeOptions {
  redisUrl: string;
  channel: string;
  log: Logger;
  /** Names the follower in its logs (`brand catalogue`). */
  what: string;
  onNotice(message: string): void;
  /** Called on every (re)connection: notices published while the connection was down are lost. */
  onSubscribed(): void;
}

/**
 * Follows a Redis pub/sub channel on a connection of its own, for caches of what another domain
 * owns: each notice says what changed, and a re-subscription after a Redis loss says that
 * anything may have.
 */
export class ChangeNotices {
  private constructor(private readonly subscriber: Redis) {}

  static async follow({ redisUrl, channel, log, what, onNotice, onSubscribed }: ChangeNoticeOptions): Promise<ChangeNotices> {
    const subscriber = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
    subscriber.on('message', (_channel: string, message: string) => onNotice(message));
    subscriber.on('error', (error) => log.warn({ err: error }, `${what} subscriber error`));
    // On every (re)connection ioredis reports ready, then subscribes again at once: a notice
    // published in that instant is lost like those of the outage, which callers bound otherwise.
    subscriber.on('ready', onSubscribed);
    await subscriber.connect();
    await subscriber.subscribe(channel);
    return new ChangeNotices(subscriber);
  }

  async stop(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
