import type { PrismaClient } from '@rgb/db';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Wakes a worker loop sleeping until its next poll when there is work for it, through a Redis
 * pub/sub channel the loop names (`WorkerLoop.wakeChannel`): the side that made the work rings,
 * the worker answers. The poll stays, so a ring lost (Redis down, the worker's listener
 * reconnecting) costs only the poll's delay.
 *
 * Rings are coalesced per channel: a ring after a quiet spell PUBLISHes at once, and the rings of
 * the next `intervalMs` make one more PUBLISH at its end, so a process sends a channel at most one
 * PUBLISH per interval however many commits ring it, and every ring is still followed by a
 * PUBLISH sent after it (the worker may have looked before the commit that rang). A loop rung
 * less than an interval ago is still working, or pausing before its next turn (an outbox
 * publisher lingers 20 ms), so the wait costs it nothing. A ring never waits and never fails its
 * caller: a PUBLISH that fails is logged (once until one succeeds again) and the poll takes over.
 */
export class Doorbell {
  /** When each channel's latest PUBLISH was sent (performance.now()). */
  private readonly sentAt = new Map<string, number>();
  /** Channels with a PUBLISH due at the end of their interval. */
  private readonly due = new Set<string>();
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly intervalMs = 10,
  ) {}

  ring(channel: string): void {
    if (this.due.has(channel)) return;
    const wait = (this.sentAt.get(channel) ?? Number.NEGATIVE_INFINITY) + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.publish(channel);
      return;
    }
    this.due.add(channel);
    setTimeout(() => {
      this.due.delete(channel);
      this.publish(channel);
    }, wait).unref();
  }

  private publish(channel: string): void {
    this.sentAt.set(channel, performance.now());
    this.redis.publish(channel, '').then(
      () => {
        if (this.failing) this.log.info({ channel }, 'doorbell rings again');
        this.failing = false;
      },
      (error: unknown) => {
        if (!this.failing) this.log.warn({ err: error, channel }, 'doorbell ring failed; the worker finds the work at its next poll');
        this.failing = true;
      },
    );
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
