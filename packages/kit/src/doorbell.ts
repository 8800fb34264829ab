import type { PrismaClient } from '@rgb/db';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Wakes a worker loop sleeping until its next poll when there is work for it, through a Redis
 * pub/sub channel the loop names (`WorkerLoop.wakeChannel`): the side that made the work rings,
 * the worker answers. The poll stays, so a ring lost (Redis down, the worker's listener
 * reconnecting) costs only the poll's delay.
 *
 * Rings are coalesced per channel: one PUBLISH in flight at a time, and rings meanwhile make one
 * more once it is answered. So a burst of commits costs two PUBLISHes per Redis round trip at
 * most, and every ring is still followed by a PUBLISH sent after it (the worker may have looked
 * before the commit that rang). A ring never waits and never fails its caller: a PUBLISH that
 * fails is logged (once until one succeeds again) and the poll takes over.
 */
export class Doorbell {
  /** Channels whose PUBLISH is in flight, and whether they were rung again meanwhile. */
  private readonly ringing = new Map<string, boolean>();
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  ring(channel: string): void {
    if (this.ringing.has(channel)) {
      this.ringing.set(channel, true);
      return;
    }
    this.ringing.set(channel, false);
    this.redis.publish(channel, '').then(
      () => {
        if (this.failing) this.log.info({ channel }, 'doorbell rings again');
        this.failing = false;
      },
      (error: unknown) => {
        if (!this.failing) this.log.warn({ err: error, channel }, 'doorbell ring failed; the worker finds the work at its next poll');
        this.failing = true;
      },
    ).finally(() => {
      const again = this.ringing.get(channel);
      this.ringing.delete(channel);
      if (again) this.ring(channel);
    });
  }

  /**
   * The doorbell of a client made by createServiceDeps (every service's), rung after the commits
   * made through it (packages/events' outboxTransaction); none for a client made otherwise (a
   * tool, a test), whose work waits for the poll.
   */
  static of(prisma: PrismaClient): Doorbell | undefined {
    return (prisma as unknown as Record<symbol, Doorbell | undefined>)[DOORBELL];
  }

  /** Gives `prisma` this doorbell (see `of`). */
  static attach(prisma: PrismaClient, doorbell: Doorbell): void {
    Object.defineProperty(prisma, DOORBELL, { value: doorbell });
  }
}

// A property, as directSql's: a client wrapped by $extends (tests record its operations) still reaches it.
const DOORBELL = Symbol('rgb.doorbell');

/**
 * A worker's side: calls `wake(channel)` on every ring of `channels`, on a connection of its own
 * (pub/sub takes the whole connection), and for every channel on each (re)connection, since rings
 * sent while it was down are lost. It subscribes whenever Redis answers, also when Redis is down
 * at start (the loops poll meanwhile).
 */
export function answerDoorbells(redisUrl: string, channels: string[], log: Logger, wake: (channel: string) => void): { close(): Promise<void> } {
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  subscriber.on('message', (channel: string) => wake(channel));
  subscriber.on('error', (error) => log.warn({ err: error }, 'doorbell subscriber connection error'));
  // ioredis subscribes again by itself after a reconnection; a ring in between is lost like those of the outage.
  subscriber.on('ready', () => {
    for (const channel of channels) wake(channel);
  });
  let closing = false;
  const subscribed = subscriber.subscribe(...channels).catch((error: unknown) => {
    if (!closing) log.error({ err: error }, 'subscribing to doorbells failed');
  });
  return {
    async close() {
      closing = true;
      subscriber.disconnect();
      await subscribed;
    },
  };
}
