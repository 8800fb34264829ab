/**
 * The wallet's events as its outbox writes them, for the tests of the domains that consume
 * rgb:stream:wallet (rolling, promotion): builders of the envelopes, and a wait until a consumer
 * group has applied everything put on the stream.
 */
import { randomUUID } from 'node:crypto';
import { deadLetterStream, type EventPayload, STREAMS, type TypedEnvelope } from '@rgb/contracts';
import { buildEnvelope } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { waitFor } from '@rgb/kit/testing';
import type { Redis } from 'ioredis';

type WalletEventType = 'DEPOSIT_APPROVED' | 'WITHDRAW_REQUESTED' | 'BET_SETTLED_CONFIRMED' | 'BET_ROLLED_BACK_CONFIRMED';
export type WalletEvent = TypedEnvelope<WalletEventType>;

function walletEvent<T extends WalletEventType>(type: T, brand: BrandRef, aggregate: { type: string; id: string }, payload: EventPayload<T>, at?: Date): TypedEnvelope<T> {
  const envelope = buildEnvelope('wallet.outbox', {
    type,
    owner: { brandId: brand.id },
    brandId: brand.id,
    aggregateType: aggregate.type,
    aggregateId: aggregate.id,
    payload,
  } as never) as TypedEnvelope<T>;
  return at ? { ...envelope, occurred_at: at.toISOString() } : envelope;
}

const movement = (amount: bigint, currency: string, balanceAfter = 0n) => ({
  account_id: randomUUID(),
  ledger_entry_id: randomUUID(),
  amount_minor: amount.toString(),
  balance_after_minor: balanceAfter.toString(),
  currency,
});

/** A deposit of `amount` (minor units) approved for `playerId`, at `at` (now unless given), leaving `balanceAfter` (0 unless given). */
export function depositApproved(brand: BrandRef, playerId: string, amount: bigint, at?: Date, balanceAfter = 0n): TypedEnvelope<'DEPOSIT_APPROVED'> {
  const requestId = randomUUID();
  return walletEvent(
    'DEPOSIT_APPROVED',
    brand,
    { type: 'deposit_request', id: requestId },
    { request_id: requestId, player_id: playerId, ...movement(amount, brand.currency, balanceAfter) },
    at,
  );
}

/** A withdrawal of `amount` requested by `playerId`, at `at` (now unless given). */
export function withdrawRequested(brand: BrandRef, playerId: string, amount: bigint, at?: Date): TypedEnvelope<'WITHDRAW_REQUESTED'> {
  const requestId = randomUUID();
  return walletEvent(
    'WITHDRAW_REQUESTED',
    brand,
    { type: 'withdraw_request', id: requestId },
    { request_id: requestId, player_id: playerId, amount_minor: amount.toString(), currency: brand.currency },
    at,
  );
}

export interface BetOptions {
  stake: bigint;
  /** The game's category (SLOTS unless given). */
  category?: string;
  provider?: string;
}

export interface SettlementOptions {
  /** The stake counted by this settlement: 0 for a further win on a bet settled already. */
  stake?: bigint;
  win?: bigint;
  /** The balance the settlement left (0 unless given). */
  balanceAfter?: bigint;
  /** When it happened (now unless given). */
  at?: Date;
}

/** One bet of a player at a provider: the events the wallet writes when it settles and when it is rolled back. */
export function bet(brand: BrandRef, playerId: string, { stake, category = 'SLOTS', provider = 'demo' }: BetOptions) {
  const transactionId = `tx-${randomUUID()}`;
  const aggregate = { type: 'bet', id: randomUUID() };
  const reference = { player_id: playerId, provider_code: provider, transaction_id: transactionId, round_id: `round-${transactionId}`, game_code: 'demo-slot', game_category: category };
  return {
    transactionId,
    /** A settlement (each call is a new event). */
    settled: ({ stake: counted = stake, win = 0n, balanceAfter = 0n, at }: SettlementOptions = {}): TypedEnvelope<'BET_SETTLED_CONFIRMED'> =>
      walletEvent(
        'BET_SETTLED_CONFIRMED',
        brand,
        aggregate,
        {
          ...reference,
          bet_amount_minor: counted.toString(),
          win_amount_minor: win.toString(),
          balance_after_minor: balanceAfter.toString(),
          currency: brand.currency,
          win_ledger_entry_id: win > 0n ? randomUUID() : null,
        },
        at,
      ),
    rolledBack: (at?: Date): TypedEnvelope<'BET_ROLLED_BACK_CONFIRMED'> =>
      walletEvent('BET_ROLLED_BACK_CONFIRMED', brand, aggregate, { ...reference, ...movement(stake, brand.currency) }, at),
  };
}

/** Field-value pairs of an XINFO answer as an object. */
function fieldsOf(reply: unknown[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (let index = 0; index < reply.length; index += 2) fields[String(reply[index])] = reply[index + 1];
  return fields;
}

/** Appends events to rgb:stream:wallet in one transaction, as the wallet's outbox publisher does. */
export async function appendToWalletStream(redis: Redis, events: WalletEvent[]): Promise<void> {
  const transaction = redis.multi();
  for (const event of events) transaction.xadd(STREAMS.wallet, '*', 'event', JSON.stringify(event));
  await transaction.exec();
}

/** Resolves once the consumer group has read and acknowledged every entry of the wallet stream; throws on a dead letter. */
export async function groupCaughtUp(redis: Redis, group: string): Promise<void> {
  await waitFor(
    `${group} catching up with ${STREAMS.wallet}`,
    async () => {
      const deadLetters = await redis.xrange(deadLetterStream(STREAMS.wallet), '-', '+');
      if (deadLetters.length > 0) throw new Error(`dead letters on ${STREAMS.wallet}: ${JSON.stringify(deadLetters)}`);
      const stream = fieldsOf((await redis.xinfo('STREAM', STREAMS.wallet)) as unknown[]);
      const groups = ((await redis.xinfo('GROUPS', STREAMS.wallet)) as unknown[][]).map(fieldsOf);
      const found = groups.find((candidate) => candidate.name === group);
      return found !== undefined && found['last-delivered-id'] === stream['last-generated-id'] && found.pending === 0;
    },
    20_000,
  );
}
