// The events admin_worker consumes, as their producers write them, for the admin tests to publish.
import { randomUUID } from 'node:crypto';
import type { EmittedEventType, EventPayload } from '@rgb/contracts';
import { buildEnvelope } from '@rgb/events';
import type { PrismaClient } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import { waitFor } from '@rgb/kit/testing';
import type { Redis } from 'ioredis';

type RequestEventType = 'DEPOSIT_REQUESTED' | 'DEPOSIT_APPROVED' | 'DEPOSIT_DECLINED' | 'WITHDRAW_REQUESTED' | 'WITHDRAW_APPROVED' | 'WITHDRAW_DECLINED';

/** An envelope the wallet would write for a request, occurring at `at` (now unless given). */
function requestEvent<T extends RequestEventType>(type: T, brand: BrandRef, payload: EventPayload<T>, at?: Date) {
  const envelope = buildEnvelope('wallet.outbox', {
    type,
    owner: { brandId: brand.id },
    brandId: brand.id,
    aggregateType: type.startsWith('DEPOSIT') ? 'deposit_request' : 'withdrawal_request',
    aggregateId: payload.request_id,
    payload,
  } as never);
  return at ? { ...envelope, occurred_at: at.toISOString() } : envelope;
}

/** A request's events, sharing its id, player and amount; each occurs now unless given an instant. */
export function request(brand: BrandRef, amountMinor: string) {
  const base = { request_id: randomUUID(), player_id: randomUUID(), amount_minor: amountMinor, currency: brand.currency };
  const movement = { account_id: randomUUID(), ledger_entry_id: randomUUID(), balance_after_minor: '0' };
  return {
    id: base.request_id,
    depositRequested: (at?: Date) => requestEvent('DEPOSIT_REQUESTED', brand, { ...base, depositor_name: 'Kim' }, at),
    depositApproved: (at?: Date) => requestEvent('DEPOSIT_APPROVED', brand, { ...base, ...movement }, at),
    depositDeclined: (at?: Date) => requestEvent('DEPOSIT_DECLINED', brand, { ...base, reason: null }, at),
    withdrawRequested: (at?: Date) => requestEvent('WITHDRAW_REQUESTED', brand, base, at),
    withdrawApproved: (at?: Date) => requestEvent('WITHDRAW_APPROVED', brand, base, at),
    withdrawDeclined: (previous_status: 'PENDING' | 'APPROVED', at?: Date) =>
      requestEvent('WITHDRAW_DECLINED', brand, { ...base, ...movement, previous_status, reason: null }, at),
  };
}

/** A player's registration at `registeredAt` (now unless given). */
export function registration(brand: BrandRef, registeredAt = new Date()) {
  return buildEnvelope('player.outbox', {
    type: 'PLAYER_REGISTERED',
    owner: { brandId: brand.id },
    brandId: brand.id,
    aggregateType: 'player',
    aggregateId: randomUUID(),
    payload: { player_id: randomUUID(), username: `p${randomUUID().slice(0, 8)}`, nickname: null, agent_id: null, registered_at: registeredAt.toISOString() },
  });
}

/** A requirement's events as the rolling domain writes them: a staff member cancelling it, and the cancel itself. */
export function rollingCancel(brand: BrandRef, staffId: string) {
  const rollingId = randomUUID();
  const base = { owner: { brandId: brand.id }, brandId: brand.id, aggregateType: 'rolling', aggregateId: rollingId };
  const requirement = { rolling_id: rollingId, player_id: randomUUID(), required_minor: '100000', accrued_minor: '25000', currency: brand.currency };
  return {
    id: rollingId,
    staffAction: () =>
      buildEnvelope('rolling.outbox', {
        ...base,
        type: 'STAFF_ACTION_RECORDED',
        payload: {
          staff_id: staffId,
          request_id: randomUUID(),
          action: 'rolling.cancel',
          target_type: 'rolling',
          target_id: rollingId,
          before: { status: 'ACTIVE', accrued_minor: '25000' },
          after: { status: 'CANCELED', accrued_minor: '25000', reason: 'bonus abuse' },
        },
      }),
    canceled: () => buildEnvelope('rolling.outbox', { ...base, type: 'ROLLING_CANCELED', payload: { ...requirement, reason: 'bonus abuse' } }),
  };
}

/** An agent's balance corrected by a staff member, as the agent domain writes it: the staff action and the adjustment itself. */
export function agentAdjustment(brand: BrandRef, staffId: string) {
  const agentId = randomUUID();
  const base = { owner: { brandId: brand.id }, brandId: brand.id, aggregateType: 'agent', aggregateId: agentId };
  return {
    id: agentId,
    staffAction: () =>
      buildEnvelope('agent.outbox', {
        ...base,
        type: 'STAFF_ACTION_RECORDED',
        payload: {
          staff_id: staffId,
          request_id: randomUUID(),
          action: 'agent_balance.adjust',
          target_type: 'agent',
          target_id: agentId,
          before: { balance_minor: '50000' },
          after: { balance_minor: '40000', reason: 'duplicate coupon' },
        },
      }),
    adjusted: () =>
      buildEnvelope('agent.outbox', {
        ...base,
        type: 'AGENT_BALANCE_ADJUSTED',
        payload: { agent_id: agentId, amount_minor: '-10000', currency: brand.currency, reason: 'duplicate coupon' },
      }),
  };
}

/** A bank text's events as the recon domain writes them: into its review queue and out, its match, a staff member dismissing it. */
export function reconText(brand: BrandRef) {
  const messageId = randomUUID();
  const base = { owner: { brandId: brand.id }, brandId: brand.id, aggregateType: 'recon_message', aggregateId: messageId };
  return {
    id: messageId,
    reviewOpened: (reason = 'NO_CANDIDATE') => buildEnvelope('recon.outbox', { ...base, type: 'RECON_REVIEW_OPENED', payload: { message_id: messageId, reason } }),
    reviewClosed: (resolution: EventPayload<'RECON_REVIEW_CLOSED'>['resolution']) =>
      buildEnvelope('recon.outbox', { ...base, type: 'RECON_REVIEW_CLOSED', payload: { message_id: messageId, resolution } }),
    depositMatched: () =>
      buildEnvelope('recon.outbox', {
        ...base,
        type: 'RECON_DEPOSIT_MATCHED',
        payload: { message_id: messageId, request_id: randomUUID(), player_id: randomUUID(), amount_minor: '50000', matched_by: 'recon' },
      }),
    dismissedBy: (staffId: string) =>
      buildEnvelope('recon.outbox', {
        ...base,
        type: 'STAFF_ACTION_RECORDED',
        payload: {
          staff_id: staffId,
          request_id: randomUUID(),
          action: 'recon_message.dismiss',
          target_type: 'recon_message',
          target_id: messageId,
          before: { status: 'REVIEW', review_reason: 'NO_CANDIDATE' },
          after: { status: 'DISMISSED', reason: 'a transfer between our own accounts' },
        },
      }),
  };
}

/** Appends an event to a stream as an outbox publisher does. */
export const publish = (redis: Redis, stream: string, event: { event_type: EmittedEventType }) => redis.xadd(stream, '*', 'event', JSON.stringify(event));

/** Appends events in one transaction, so a consumer waiting on the stream reads them in one batch (one commit, one notice). */
export async function publishTogether(redis: Redis, stream: string, events: { event_type: EmittedEventType }[]): Promise<void> {
  const transaction = redis.multi();
  for (const event of events) transaction.xadd(stream, '*', 'event', JSON.stringify(event));
  await transaction.exec();
}

/** Resolves once a consumer group has applied every one of `events` (its inbox holds them). */
export function applied(prisma: PrismaClient, group: string, events: { event_id: string }[]): Promise<true> {
  const ids = [...new Set(events.map((event) => event.event_id))];
  return waitFor(`${group} applying ${ids.length} events`, async () => (await prisma.adminInbox.count({ where: { consumer: group, eventId: { in: ids } } })) === ids.length);
}
