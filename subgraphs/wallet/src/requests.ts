import { badUserInput, conflict, notFound } from '@rgb/contracts';
import { uniqueViolation, type DepositRequest, type PrismaClient, type RequestStatus, type WithdrawalRequest } from '@rgb/db';
import { appendToOutbox } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { parseAmount } from './amounts';
import { checkIdempotencyKey, inTransaction, move, type Tx } from './ledger';

/** Who decides or asks: `staff:<id>`, `player:<id>`... as written into the ledger. */
export type Actor = string;

/**
 * The rolling gate (step 6 of the roadmap): throws when the player may not withdraw yet. Until
 * the rolling domain exists every withdrawal passes.
 */
export type WithdrawalGate = (tx: Tx, brand: BrandRef, playerId: string) => Promise<void>;
export const openGate: WithdrawalGate = async () => {};

export interface DepositInput {
  amount: string;
  depositorName: string;
  idempotencyKey?: string | null;
}

export interface WithdrawalInput {
  amount: string;
  idempotencyKey?: string | null;
}

/**
 * Runs `create` once per (player, idempotency key): a repeat returns the request the first call
 * made (same amount) or is refused (another amount). Without a key every call is a new request.
 */
async function createOnce<R extends { amount: bigint }>(
  find: () => Promise<R | null>,
  amount: bigint,
  key: string | null | undefined,
  create: () => Promise<R>,
): Promise<R> {
  if (!key) return create();
  checkIdempotencyKey(key);
  const matching = (existing: R) => {
    if (existing.amount !== amount) throw conflict('this idempotency key was used for another amount');
    return existing;
  };
  const earlier = await find();
  if (earlier) return matching(earlier);
  try {
    return await create();
  } catch (error) {
    const twin = uniqueViolation(error) ? await find() : null;
    if (twin) return matching(twin);
    throw error;
  }
}

export async function requestDeposit(prisma: PrismaClient, brand: BrandRef, playerId: string, input: DepositInput): Promise<DepositRequest> {
  const amount = parseAmount(input.amount, brand.currency);
  const depositorName = input.depositorName.trim();
  if (depositorName.length < 1 || depositorName.length > 50) throw badUserInput('depositorName must be 1 to 50 characters');
  const key = input.idempotencyKey ?? null;
  return createOnce(
    () => prisma.depositRequest.findFirst({ where: { playerId, idempotencyKey: key } }),
    amount,
    key,
    () =>
      inTransaction(prisma, async (tx) => {
        const request = await tx.depositRequest.create({
          data: { brandId: brand.id, playerId, amount, currency: brand.currency, depositorName, idempotencyKey: key },
        });
        await appendToOutbox(tx, 'wallet.outbox', {
          type: 'DEPOSIT_REQUESTED',
          owner: request,
          brandId: brand.id,
          aggregateType: 'deposit_request',
          aggregateId: request.id,
          payload: { request_id: request.id, player_id: playerId, amount_minor: amount.toString(), currency: brand.currency, depositor_name: depositorName },
        });
        return request;
      }),
  );
}

interface Decision {
  /** The statuses the request may be in for this decision. */
  from: RequestStatus[];
  to: RequestStatus;
  actor: Actor;
  reason?: string | null;
}

/** What a decision writes besides the status: who and when, or when it was paid. */
function decisionData({ to, actor, reason }: Decision) {
  return to === 'PAID' ? { status: to, paidBy: actor, paidAt: new Date() } : { status: to, decidedBy: actor, decidedAt: new Date(), reason: reason ?? null };
}

/** The request after a conditional status change; refuses an unknown (or other brand's) or already decided one. */
function decided<R extends { status: RequestStatus }>(changed: number, request: R | null, noun: string, from: RequestStatus[]): R {
  if (!request) throw notFound(`no such ${noun}`);
  if (changed === 0) throw conflict(`the ${noun} is ${request.status}, not ${from.join(' or ')}`);
  return request;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function decideDeposit(tx: Tx, brand: BrandRef, id: string, decision: Decision): Promise<DepositRequest> {
  if (!UUID.test(id)) throw notFound('no such deposit request');
  const where = { id, brandId: brand.id };
  const { count } = await tx.depositRequest.updateMany({ where: { ...where, status: { in: decision.from } }, data: decisionData(decision) });
  return decided(count, await tx.depositRequest.findFirst({ where }), 'deposit request', decision.from);
}

/** Applies the decision if the request is in one of `decision.from`: the request after it, or null when nothing changed. */
async function tryDecideWithdrawal(tx: Tx, brand: BrandRef, id: string, decision: Decision): Promise<WithdrawalRequest | null> {
  if (!UUID.test(id)) throw notFound('no such withdrawal request');
  const where = { id, brandId: brand.id };
  const { count } = await tx.withdrawalRequest.updateMany({ where: { ...where, status: { in: decision.from } }, data: decisionData(decision) });
  return count === 0 ? null : tx.withdrawalRequest.findFirst({ where });
}

async function decideWithdrawal(tx: Tx, brand: BrandRef, id: string, decision: Decision): Promise<WithdrawalRequest> {
  const request = await tryDecideWithdrawal(tx, brand, id, decision);
  return request ?? decided(0, await tx.withdrawalRequest.findFirst({ where: { id, brandId: brand.id } }), 'withdrawal request', decision.from);
}

export function approveDeposit(prisma: PrismaClient, brand: BrandRef, id: string, actor: Actor): Promise<DepositRequest> {
  return inTransaction(prisma, async (tx) => {
    const request = await decideDeposit(tx, brand, id, { from: ['PENDING'], to: 'APPROVED', actor });
    const moved = await move(tx, {
      brand,
      playerId: request.playerId,
      kind: 'DEPOSIT',
      amount: request.amount,
      reference: `deposit_request:${id}`,
      commandKey: `deposit.approve:${id}`,
      causedBy: actor,
    });
    await appendToOutbox(tx, 'wallet.outbox', {
      type: 'DEPOSIT_APPROVED',
      owner: request,
      brandId: brand.id,
      aggregateType: 'deposit_request',
      aggregateId: id,
      payload: {
        request_id: id,
        player_id: request.playerId,
        account_id: moved.accountId,
        ledger_entry_id: moved.entryId,
        amount_minor: request.amount.toString(),
        balance_after_minor: moved.balanceAfter.toString(),
        currency: moved.currency,
      },
    });
    return request;
  });
}

export function declineDeposit(prisma: PrismaClient, brand: BrandRef, id: string, actor: Actor, reason: string | null): Promise<DepositRequest> {
  return inTransaction(prisma, async (tx) => {
    const request = await decideDeposit(tx, brand, id, { from: ['PENDING'], to: 'DECLINED', actor, reason });
    await appendToOutbox(tx, 'wallet.outbox', {
      type: 'DEPOSIT_DECLINED',
      owner: request,
      brandId: brand.id,
      aggregateType: 'deposit_request',
      aggregateId: id,
      payload: { request_id: id, player_id: request.playerId, amount_minor: request.amount.toString(), currency: request.currency, reason: request.reason },
    });
    return request;
  });
}

/** The amount is held at once: it leaves the balance with the request, or the request is refused. */
export async function requestWithdrawal(
  prisma: PrismaClient,
  brand: BrandRef,
  playerId: string,
  input: WithdrawalInput,
  gate: WithdrawalGate = openGate,
): Promise<WithdrawalRequest> {
  const amount = parseAmount(input.amount, brand.currency);
  const key = input.idempotencyKey ?? null;
  return createOnce(
    () => prisma.withdrawalRequest.findFirst({ where: { playerId, idempotencyKey: key } }),
    amount,
    key,
    () =>
      inTransaction(prisma, async (tx) => {
        await gate(tx, brand, playerId);
        const request = await tx.withdrawalRequest.create({
          data: { brandId: brand.id, playerId, amount, currency: brand.currency, idempotencyKey: key },
        });
        await move(tx, {
          brand,
          playerId,
          kind: 'WITHDRAWAL_HOLD',
          amount: -amount,
          reference: `withdrawal_request:${request.id}`,
          commandKey: `withdrawal.hold:${request.id}`,
          causedBy: `player:${playerId}`,
        });
        await appendToOutbox(tx, 'wallet.outbox', {
          type: 'WITHDRAW_REQUESTED',
          owner: request,
          brandId: brand.id,
          aggregateType: 'withdrawal_request',
          aggregateId: request.id,
          payload: { request_id: request.id, player_id: playerId, amount_minor: amount.toString(), currency: brand.currency },
        });
        return request;
      }),
  );
}

export function approveWithdrawal(prisma: PrismaClient, brand: BrandRef, id: string, actor: Actor): Promise<WithdrawalRequest> {
  return inTransaction(prisma, async (tx) => {
    const request = await decideWithdrawal(tx, brand, id, { from: ['PENDING'], to: 'APPROVED', actor });
    await appendToOutbox(tx, 'wallet.outbox', {
      type: 'WITHDRAW_APPROVED',
      owner: request,
      brandId: brand.id,
      aggregateType: 'withdrawal_request',
      aggregateId: id,
      payload: { request_id: id, player_id: request.playerId, amount_minor: request.amount.toString(), currency: request.currency },
    });
    return request;
  });
}

/**
 * Declining releases the held amount back to the balance, once. An approved withdrawal may still
 * be declined until it is marked paid (the bank transfer bounced, say).
 */
export function declineWithdrawal(prisma: PrismaClient, brand: BrandRef, id: string, actor: Actor, reason: string | null): Promise<WithdrawalRequest> {
  return inTransaction(prisma, async (tx) => {
    // Tried from PENDING first, then from APPROVED, so the event says which it was (whether the
    // request leaves the pending queue now). A concurrent approval holds the row: the first
    // update waits for it and then finds it APPROVED.
    const fromPending = await tryDecideWithdrawal(tx, brand, id, { from: ['PENDING'], to: 'DECLINED', actor, reason });
    const previousStatus = fromPending ? 'PENDING' : 'APPROVED';
    const request = fromPending ?? (await decideWithdrawal(tx, brand, id, { from: ['APPROVED'], to: 'DECLINED', actor, reason }));
    const moved = await move(tx, {
      brand,
      playerId: request.playerId,
      kind: 'WITHDRAWAL_RELEASE',
      amount: request.amount,
      reference: `withdrawal_request:${id}`,
      commandKey: `withdrawal.release:${id}`,
      causedBy: actor,
      reason,
    });
    await appendToOutbox(tx, 'wallet.outbox', {
      type: 'WITHDRAW_DECLINED',
      owner: request,
      brandId: brand.id,
      aggregateType: 'withdrawal_request',
      aggregateId: id,
      payload: {
        request_id: id,
        player_id: request.playerId,
        account_id: moved.accountId,
        ledger_entry_id: moved.entryId,
        amount_minor: request.amount.toString(),
        balance_after_minor: moved.balanceAfter.toString(),
        currency: moved.currency,
        previous_status: previousStatus,
        reason: request.reason,
      },
    });
    return request;
  });
}

export function markWithdrawalPaid(prisma: PrismaClient, brand: BrandRef, id: string, actor: Actor): Promise<WithdrawalRequest> {
  return inTransaction(prisma, (tx) => decideWithdrawal(tx, brand, id, { from: ['APPROVED'], to: 'PAID', actor }));
}
