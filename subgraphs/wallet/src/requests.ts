import { badUserInput, conflict, notFound, type PendingDepositQuery } from '@rgb/contracts';
import { uniqueViolation, type DepositRequest, type PrismaClient, type RequestStatus, type WithdrawalRequest } from '@rgb/db';
import { appendToOutbox, recordStaffAction } from '@rgb/events';
import { type BrandConfigs, type BrandRef, checkRequestLimits, type Logger } from '@rgb/kit';
import { parseAmount } from './amounts';
import { checkIdempotencyKey, inTransaction, move, type Tx } from './ledger';
import { causedBy, type StaffActor } from './staff-actions';
import { type GateContext, rollingIncomplete, type WithdrawalGate } from './withdrawal-gate';

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
 * Checks that hold for new requests only (the brand's limits, which may have changed since an
 * earlier request) belong in `create`.
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

export async function requestDeposit(
  prisma: PrismaClient,
  brand: BrandRef,
  playerId: string,
  input: DepositInput,
  configs: BrandConfigs,
  log: Logger,
): Promise<DepositRequest> {
  const amount = parseAmount(input.amount, brand.currency);
  const depositorName = input.depositorName.trim();
  if (depositorName.length < 1 || depositorName.length > 50) throw badUserInput('depositorName must be 1 to 50 characters');
  const key = input.idempotencyKey ?? null;
  return createOnce(
    () => prisma.depositRequest.findFirst({ where: { playerId, idempotencyKey: key } }),
    amount,
    key,
    async () => {
      await checkRequestLimits(configs, brand, 'deposit', amount, log);
      return inTransaction(prisma, async (tx) => {
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
      });
    },
  );
}

/**
 * A service deciding on a cause of its own: reconciliation approving the deposit a bank text
 * shows paid (`recon:<message id>`), for the amount the text shows. The cause is the decision's
 * `decided_by`; the service's own records say who and why, so no staff action is recorded.
 */
export interface ServiceDecider {
  causedBy: string;
  amount: bigint;
}

/** Who decides a request: a staff member (audited) or a service on its cause. */
export type Decider = StaffActor | ServiceDecider;

const isStaff = (decider: Decider): decider is StaffActor => 'staffId' in decider;

/** The decision's `decided_by`, and the `caused_by` of the money it moves. */
const decidedBy = (decider: Decider) => (isStaff(decider) ? causedBy(decider) : decider.causedBy);

interface Decision {
  /** `approve`, `decline`, `mark_paid`: the audit log's action is `<target>.<verb>`. */
  verb: string;
  /** The statuses the request may be in for this decision. */
  from: RequestStatus[];
  to: RequestStatus;
  actor: Decider;
  reason?: string | null;
}

/** What a decision writes besides the status: who and when, or when it was paid. */
function decisionData({ to, actor, reason }: Decision) {
  const by = decidedBy(actor);
  return to === 'PAID' ? { status: to, paidBy: by, paidAt: new Date() } : { status: to, decidedBy: by, decidedAt: new Date(), reason: reason ?? null };
}

type RequestTable = 'deposit_request' | 'withdrawal_request';

const NOUN: Record<RequestTable, string> = { deposit_request: 'deposit request', withdrawal_request: 'withdrawal request' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Locks the request's row and returns its status, so the audit's "before" is the status this
 * decision changes, whatever a concurrent one did. NOT_FOUND: no such request of the brand.
 */
async function lockedStatus(tx: Tx, table: RequestTable, brand: BrandRef, id: string): Promise<RequestStatus> {
  if (!UUID.test(id)) throw notFound(`no such ${NOUN[table]}`);
  const rows = await tx.$queryRawUnsafe<{ status: RequestStatus }[]>(
    `SELECT status::text AS status FROM wallet.${table} WHERE id = $1::uuid AND brand_id = $2::uuid FOR UPDATE`,
    id,
    brand.id,
  );
  if (!rows[0]) throw notFound(`no such ${NOUN[table]}`);
  return rows[0].status;
}

/** The decision's STAFF_ACTION_RECORDED, once the request changed from `before`: a staff member's only. */
async function recordDecision(tx: Tx, brand: BrandRef, table: RequestTable, id: string, before: RequestStatus, decision: Decision): Promise<void> {
  if (!isStaff(decision.actor)) return;
  await recordStaffAction(tx, 'wallet.outbox', brand.id, decision.actor, {
    action: `${table}.${decision.verb}`,
    target_type: table,
    target_id: id,
    before: { status: before },
    after: { status: decision.to, ...(decision.reason ? { reason: decision.reason } : {}) },
  });
}

/** The request after a conditional status change; refuses an unknown (or other brand's) or already decided one. */
function decided<R extends { status: RequestStatus }>(changed: number, request: R | null, noun: string, from: RequestStatus[]): R {
  if (!request) throw notFound(`no such ${noun}`);
  if (changed === 0) throw conflict(`the ${noun} is ${request.status}, not ${from.join(' or ')}`);
  return request;
}

async function decideDeposit(tx: Tx, brand: BrandRef, id: string, decision: Decision): Promise<Decided<DepositRequest>> {
  const before = await lockedStatus(tx, 'deposit_request', brand, id);
  const where = { id, brandId: brand.id };
  const { count } = await tx.depositRequest.updateMany({ where: { ...where, status: { in: decision.from } }, data: decisionData(decision) });
  const request = decided(count, await tx.depositRequest.findFirst({ where }), 'deposit request', decision.from);
  await recordDecision(tx, brand, 'deposit_request', id, before, decision);
  return { request, before };
}

/** The decision applied: the request after it and the status it had (so the events can say what it left). */
interface Decided<R> {
  request: R;
  before: RequestStatus;
}

async function decideWithdrawal(tx: Tx, brand: BrandRef, id: string, decision: Decision): Promise<Decided<WithdrawalRequest>> {
  const before = await lockedStatus(tx, 'withdrawal_request', brand, id);
  const where = { id, brandId: brand.id };
  const { count } = await tx.withdrawalRequest.updateMany({ where: { ...where, status: { in: decision.from } }, data: decisionData(decision) });
  const request = decided(count, await tx.withdrawalRequest.findFirst({ where }), 'withdrawal request', decision.from);
  await recordDecision(tx, brand, 'withdrawal_request', id, before, decision);
  return { request, before };
}

/** An approval's outcome: the request, and whether it repeated its decider's earlier approval (nothing moved). */
export interface ApprovedDeposit {
  request: DepositRequest;
  duplicate: boolean;
}

/**
 * Approves a PENDING deposit request: credits its amount once (ledger key `deposit.approve:<id>`)
 * and writes DEPOSIT_APPROVED. Staff approve from the queue (audited; a decided request is a
 * CONFLICT). A service approving on its cause names the amount it saw: another amount is a
 * CONFLICT, and its own earlier approval is answered as a duplicate that moves nothing, so it may
 * retry an approval whose answer it lost.
 */
export function approveDeposit(prisma: PrismaClient, brand: BrandRef, id: string, decider: Decider): Promise<ApprovedDeposit> {
  return inTransaction(prisma, async (tx) => {
    if (!isStaff(decider)) {
      const earlier = await approvedOnCause(tx, brand, id, decider);
      if (earlier) return { request: earlier, duplicate: true };
    }
    const { request } = await decideDeposit(tx, brand, id, { verb: 'approve', from: ['PENDING'], to: 'APPROVED', actor: decider });
    const moved = await move(tx, {
      brand,
      playerId: request.playerId,
      kind: 'DEPOSIT',
      amount: request.amount,
      reference: `deposit_request:${id}`,
      commandKey: `deposit.approve:${id}`,
      causedBy: decidedBy(decider),
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
    return { request, duplicate: false };
  });
}

/**
 * The request, when this cause approved it already; refuses a request of another amount, or in
 * another currency than the caller's brand names (a new account would be opened in that one). The
 * row is locked first, so of concurrent approvals on one cause the later ones see the first's decision.
 */
async function approvedOnCause(tx: Tx, brand: BrandRef, id: string, decider: ServiceDecider): Promise<DepositRequest | null> {
  await lockedStatus(tx, 'deposit_request', brand, id);
  const request = await tx.depositRequest.findFirstOrThrow({ where: { id, brandId: brand.id } });
  if (request.currency !== brand.currency) throw badUserInput(`the deposit request is in ${request.currency}, not ${brand.currency}`);
  if (request.amount !== decider.amount) throw conflict(`the deposit request is of ${request.amount} minor units, not ${decider.amount}`);
  return request.status === 'APPROVED' && request.decidedBy === decider.causedBy ? request : null;
}

/** Reconciliation asks for a bank text's candidates: more than a few are ambiguous to it already. */
const PENDING_DEPOSITS_LIMIT = 50;

/**
 * The brand's PENDING deposit requests of exactly `amount` made in [createdFrom, createdTo], oldest
 * first, at most PENDING_DEPOSITS_LIMIT, and whether more are pending (`truncated`): one range of
 * the (brand_id, status, created_at, id) index, read backwards, the amount checked on its rows.
 */
export async function pendingDeposits(prisma: PrismaClient, { brandId, amount, createdFrom, createdTo }: PendingDepositQuery) {
  const rows = await prisma.depositRequest.findMany({
    where: { brandId, status: 'PENDING', amount, createdAt: { gte: createdFrom, lte: createdTo } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: PENDING_DEPOSITS_LIMIT + 1,
    select: { id: true, playerId: true, depositorName: true, createdAt: true },
  });
  return { requests: rows.slice(0, PENDING_DEPOSITS_LIMIT), truncated: rows.length > PENDING_DEPOSITS_LIMIT };
}

export function declineDeposit(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor, reason: string | null): Promise<DepositRequest> {
  return inTransaction(prisma, async (tx) => {
    const { request } = await decideDeposit(tx, brand, id, { verb: 'decline', from: ['PENDING'], to: 'DECLINED', actor, reason });
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

/**
 * The credits of the player on the brand that may carry a wagering requirement: approved
 * deposits (rolling makes theirs after the credit, and counts those it made) and promotion
 * credits (each made after its requirement).
 */
async function requirementCredits(db: Tx | PrismaClient, brand: BrandRef, playerId: string): Promise<{ deposits: number; promotions: number }> {
  const [counts] = await db.$queryRawUnsafe<{ deposits: number; promotions: number }[]>(
    `SELECT
       (SELECT count(*)::int FROM wallet.deposit_request WHERE brand_id = $1::uuid AND player_id = $2::uuid AND status = 'APPROVED') AS deposits,
       (SELECT count(*)::int FROM wallet.ledger_entry entry JOIN wallet.wallet_account account ON account.id = entry.account_id
        WHERE account.brand_id = $1::uuid AND account.player_id = $2::uuid AND entry.kind = 'PROMOTION_CREDIT') AS promotions`,
    brand.id,
    playerId,
  );
  return counts!;
}

/** Locks the player's account row: a deposit approval credits it, so the two serialise on it. */
async function lockAccount(tx: Tx, brand: BrandRef, playerId: string): Promise<void> {
  await tx.$queryRawUnsafe(`SELECT 1 FROM wallet.wallet_account WHERE player_id = $1::uuid AND brand_id = $2::uuid FOR UPDATE`, playerId, brand.id);
}

/**
 * The amount is held at once: it leaves the balance with the request, or the request is refused.
 * An amount outside the brand's limits is refused first. Then the rolling domain is asked,
 * outside the transaction (never a transaction held over HTTP); inside it, under the account's
 * lock (every credit takes it), the credits that may carry a requirement are counted again: a
 * deposit approved since rolling was asked may carry one rolling has not made yet, a bonus
 * credited since, one made after rolling answered.
 */
export async function requestWithdrawal(
  prisma: PrismaClient,
  brand: BrandRef,
  playerId: string,
  input: WithdrawalInput,
  configs: BrandConfigs,
  gate: WithdrawalGate,
  context: GateContext,
): Promise<WithdrawalRequest> {
  const amount = parseAmount(input.amount, brand.currency);
  const key = input.idempotencyKey ?? null;
  return createOnce(
    () => prisma.withdrawalRequest.findFirst({ where: { playerId, idempotencyKey: key } }),
    amount,
    key,
    async () => {
      await checkRequestLimits(configs, brand, 'withdrawal', amount, context.log);
      const checked = await requirementCredits(prisma, brand, playerId);
      const answer = await gate.check({ brand, playerId, approvedDeposits: checked.deposits }, context);
      return inTransaction(prisma, async (tx) => {
        await lockAccount(tx, brand, playerId);
        const now = await requirementCredits(tx, brand, playerId);
        if (now.deposits !== checked.deposits) throw rollingIncomplete('DEPOSITS_NOT_PROCESSED', answer, brand.currency);
        if (now.promotions !== checked.promotions) throw rollingIncomplete('CREDITED_MEANWHILE', answer, brand.currency);
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
      });
    },
  );
}

export function approveWithdrawal(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<WithdrawalRequest> {
  return inTransaction(prisma, async (tx) => {
    const { request } = await decideWithdrawal(tx, brand, id, { verb: 'approve', from: ['PENDING'], to: 'APPROVED', actor });
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
export function declineWithdrawal(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor, reason: string | null): Promise<WithdrawalRequest> {
  return inTransaction(prisma, async (tx) => {
    // The row is locked before the change, so `before` says whether the request leaves the pending queue now.
    const { request, before } = await decideWithdrawal(tx, brand, id, { verb: 'decline', from: ['PENDING', 'APPROVED'], to: 'DECLINED', actor, reason });
    const moved = await move(tx, {
      brand,
      playerId: request.playerId,
      kind: 'WITHDRAWAL_RELEASE',
      amount: request.amount,
      reference: `withdrawal_request:${id}`,
      commandKey: `withdrawal.release:${id}`,
      causedBy: causedBy(actor),
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
        // The decision changed the row from one of its `from` statuses, locked, so `before` is one of them.
        previous_status: before as 'PENDING' | 'APPROVED',
        reason: request.reason,
      },
    });
    return request;
  });
}

export function markWithdrawalPaid(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<WithdrawalRequest> {
  return inTransaction(prisma, async (tx) => (await decideWithdrawal(tx, brand, id, { verb: 'mark_paid', from: ['APPROVED'], to: 'PAID', actor })).request);
}
