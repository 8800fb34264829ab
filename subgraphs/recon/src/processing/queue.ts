import type { ReconMessage } from '@rgb/db';
import { appendToOutbox, type OutboxTransaction } from '@rgb/events';

/**
 * What every move of a text shares: the brand's lock its decisions take turns under, the review
 * queue's events, the lease a performer holds a text by, and the retry delay.
 */

/** How long a performer's claim on a text keeps others off it: well past a wallet call and its timeouts. */
export const MESSAGE_LEASE_MS = 120_000;
/** The longest wait before a text is tried again: doubling from the retry delay up to this. */
const MAX_RETRY_MS = 60_000;
export const DEFAULT_RETRY_MS = 1_000;

/** Delay before the next try after `attempts` tries: `retryMs` doubling per try, at most a minute. */
export const retryDelayMs = (retryMs: number, attempts: number): number => Math.min(retryMs * 2 ** Math.min(Math.max(attempts - 1, 0), 20), MAX_RETRY_MS);

/** A new lease on a text: its `next_attempt_at`, which also proves the claim (no other performer holds that instant). */
export const newLease = (): Date => new Date(Date.now() + MESSAGE_LEASE_MS);

/**
 * Makes the brand's matching decisions take turns (duplicate reports, the request a text is matched
 * to, a match by hand): two workers never both match one deposit, or one request twice.
 */
export async function lockBrand(tx: OutboxTransaction, brandId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`recon:${brandId}`}))`;
}

type MessageRef = Pick<ReconMessage, 'id' | 'brandId'>;

/** A text moved into the review queue: RECON_REVIEW_OPENED, in the transaction of the move. */
export async function reviewOpened(tx: OutboxTransaction, message: MessageRef, reason: string): Promise<void> {
  await appendToOutbox(tx, 'recon.outbox', {
    type: 'RECON_REVIEW_OPENED',
    owner: message,
    brandId: message.brandId,
    aggregateType: 'recon_message',
    aggregateId: message.id,
    payload: { message_id: message.id, reason },
  });
}

/** A text moved out of the review queue: RECON_REVIEW_CLOSED, in the transaction of the move. */
export async function reviewClosed(tx: OutboxTransaction, message: MessageRef, resolution: 'MATCHED' | 'DISMISSED' | 'REPROCESSED'): Promise<void> {
  await appendToOutbox(tx, 'recon.outbox', {
    type: 'RECON_REVIEW_CLOSED',
    owner: message,
    brandId: message.brandId,
    aggregateType: 'recon_message',
    aggregateId: message.id,
    payload: { message_id: message.id, resolution },
  });
}

