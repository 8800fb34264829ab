import type { Logger } from '@rgb/kit';
import type { Redis } from 'ioredis';

/** A change notice: who listens on `channel` reloads what `message` names. */
export interface Notice {
  channel: string;
  message: string;
  /** When the listeners see the change without the notice. */
  otherwise: string;
}

/**
 * Publishes a notice after its change committed. One that cannot be sent is logged as an error:
 * the change stands, and the listeners see it `otherwise`.
 */
export async function announce(redis: Redis, log: Logger, { channel, message, otherwise }: Notice): Promise<void> {
  try {
    await redis.publish(channel, message);
  } catch (error) {
    log.error({ err: error, channel, message }, `change notice not sent; ${otherwise}`);
  }
}
