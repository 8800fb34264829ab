import type { TokenService } from '@rgb/auth';
import { type AnyRoute, badUserInput, conflict, type RouteRequest, type RouteResponse, rollingRoutes, walletRoutes } from '@rgb/contracts';
import { Prisma, type PrismaClient } from '@rgb/db';
import { type BrandRef, type CallContext, type Logger, ServiceClient } from '@rgb/kit';
import type { PromotionConfig } from './config';

/** The services a bonus (a coupon redemption, a settlement item) is paid through. */
export interface BonusPayer {
  wallet: ServiceClient;
  rolling: ServiceClient;
  log: Logger;
  /** The first retry after a failed payment; doubling per failure, up to 5 minutes. */
  retryMs: number;
  /** Failed attempts after which a payout is FAILED. */
  maxAttempts: number;
}

export type ClosablePayer = BonusPayer & { close(): Promise<void> };

/** Clients of the services a bonus is paid through (the API and the worker alike), calling as `serviceName`. */
export function bonusPayer(
  config: Pick<PromotionConfig, 'WALLET_URL' | 'ROLLING_URL' | 'PAY_RETRY_MS' | 'PAY_MAX_ATTEMPTS'>,
  { serviceTokens, log }: { serviceTokens: TokenService; log: Logger },
  serviceName: string,
): ClosablePayer {
  const wallet = new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName });
  const rolling = new ServiceClient({ baseUrl: config.ROLLING_URL, tokens: serviceTokens, serviceName });
  return {
    wallet,
    rolling,
    log,
    retryMs: config.PAY_RETRY_MS,
    maxAttempts: config.PAY_MAX_ATTEMPTS,
    close: async () => {
      await Promise.all([wallet.close(), rolling.close()]);
    },
  };
}

/** The longest a payment is tried again after: doubling from the payer's `retryMs` per failed attempt up to this. */
const MAX_RETRY_MS = 300_000;

/** How long a worker's claim on a due payout keeps the other replicas off it: well past a payment's calls and their timeouts. */
const PAY_LEASE_MS = 60_000;

/** One bonus to pay: its source's id keys both calls, so paying it again pays nothing twice. */
export interface Bonus {
  /** The row that pays it: rolling's source id. */
  id: string;
  playerId: string;
  amount: bigint;
  rollingMultiplierBps: number;
  /** Rolling's requirement made for it already, or null. */
  rollingId: string | null;
  /** The wallet credit's key (`coupon:<id>`, `settlement:<id>`). */
  key: string;
  /** What the ledger entry says it is. */
  reference: string;
}

/**
 * The wallet or rolling refused a bonus with a code of its contract (the player's account is
 * another brand's, the key was used for another amount...): not a fault, so asking again would be
 * refused again. Its payout is FAILED at once rather than retried.
 */
export class PaymentRefusedError extends Error {
  override readonly name = 'PaymentRefusedError';
  constructor(
    route: string,
    readonly code: string,
    message: string,
  ) {
    super(`${route} refused ${code}: ${message}`);
  }
}

/** The route's answer; its refusal as a PaymentRefusedError. */
async function answerOf<R extends AnyRoute>(client: ServiceClient, route: R, request: RouteRequest<R>, context: CallContext): Promise<RouteResponse<R>> {
  const result = await client.call(route, request, context);
  if (!result.ok) throw new PaymentRefusedError(route.name, result.refusal.code, result.refusal.message);
  return result.value;
}

/**
 * Pays a bonus: rolling's requirement first (source id: the bonus's id; none for a zero
 * multiplier), kept by `keepRolling` as soon as it is made, so that no withdrawal can slip in
 * before it; then the wallet's credit under the bonus's key. Both are idempotent: a repeat after a
 * failure (or a crash) at any point pays once. A refusal of either is a PaymentRefusedError.
 */
export async function payBonus(payer: BonusPayer, brand: BrandRef, bonus: Bonus, keepRolling: (rollingId: string) => Promise<unknown>, context: CallContext = {}): Promise<void> {
  if (bonus.rollingMultiplierBps > 0 && bonus.rollingId === null) {
    const requirement = await answerOf(
      payer.rolling,
      rollingRoutes.requirement,
      { brand, playerId: bonus.playerId, source: 'PROMOTION', sourceId: bonus.id, amount: bonus.amount, multiplierBps: bonus.rollingMultiplierBps, expiresAt: null },
      context,
    );
    if (requirement.rolling_id) await keepRolling(requirement.rolling_id);
  }
  await answerOf(
    payer.wallet,
    walletRoutes.promotionCredit,
    { brand, playerId: bonus.playerId, amount: bonus.amount, key: bonus.key, reference: bonus.reference, causedBy: 'service:promotion', reason: null },
    context,
  );
}

/** A payout's table in the promotion schema and its status enum: what the shared SQL below runs on. */
export interface PayoutTable {
  table: 'coupon_redemption' | 'settlement_item';
  statusType: 'CouponRedemptionStatus' | 'SettlementItemStatus';
}

/**
 * Claims at most `take` PENDING payouts whose next attempt has come, oldest first: their next
 * attempt moved a lease ahead, and rows another replica is claiming skipped, so two workers never
 * take the same payout at once. Answers their ids.
 */
export async function claimDue(prisma: PrismaClient, { table }: PayoutTable, take: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH due AS (
      SELECT id FROM promotion.${Prisma.raw(table)}
      WHERE status = 'PENDING' AND next_pay_at <= now()
      ORDER BY next_pay_at
      LIMIT ${take}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE promotion.${Prisma.raw(table)} AS payout
    SET next_pay_at = now() + ${PAY_LEASE_MS}::float8 * interval '1 millisecond'
    FROM due WHERE payout.id = due.id
    RETURNING payout.id::text AS id`;
  return rows.map((row) => row.id);
}

/** Why staff cancel a payout, trimmed; BAD_USER_INPUT unless 1 to 500 characters. */
export function cancelReasonOf(reason: string): string {
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  return why;
}

/**
 * Staff give up a payout their transaction holds locked: CONFLICT unless it is FAILED; then
 * rolling's requirement made for it (if any, and still ACTIVE) is canceled, before the caller marks
 * it CANCELED, so that a payout is never CANCELED with its requirement still holding the player's
 * withdrawals. Rolling's cancel is idempotent: a repeat after a failure of this transaction is safe.
 */
export async function cancelRequirementOfFailed(
  payer: BonusPayer,
  brand: BrandRef,
  noun: string,
  payout: { id: string; status: string },
  why: string,
  context: CallContext = {},
): Promise<void> {
  if (payout.status !== 'FAILED') throw conflict(`${noun} ${payout.id} is ${payout.status}, not FAILED`);
  await answerOf(payer.rolling, rollingRoutes.cancelRequirement, { brand, source: 'PROMOTION', sourceId: payout.id, reason: `${noun} canceled: ${why}`.slice(0, 500) }, context);
}

/** What a failed attempt to pay left on its payout's row. */
export interface FailedAttempt {
  payAttempts: number;
  /** FAILED: a refusal, or the payout's last attempt; PENDING: tried again later. */
  status: 'PENDING' | 'FAILED';
}

/**
 * Keeps a failed attempt on a payout still PENDING (attempts counted in SQL, so two recorders
 * never count one): FAILED at once on a refusal or at its last attempt, otherwise tried again
 * after a delay doubling per attempt. Null when it is no longer PENDING (paid meanwhile by a
 * request or another replica): that row is left as it is.
 */
export async function recordFailedAttempt(prisma: PrismaClient, payer: BonusPayer, { table, statusType }: PayoutTable, id: string, error: unknown): Promise<FailedAttempt | null> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  const refused = error instanceof PaymentRefusedError;
  const [row] = await prisma.$queryRaw<FailedAttempt[]>`
    UPDATE promotion.${Prisma.raw(table)}
    SET pay_attempts = pay_attempts + 1,
        last_pay_error = ${message},
        next_pay_at = now() + LEAST(${payer.retryMs}::float8 * power(2, LEAST(pay_attempts, 20)), ${MAX_RETRY_MS}) * interval '1 millisecond',
        status = (CASE WHEN ${refused} OR pay_attempts + 1 >= ${payer.maxAttempts} THEN 'FAILED' ELSE 'PENDING' END)::promotion.${Prisma.raw(`"${statusType}"`)}
    WHERE id = ${id}::uuid AND status = 'PENDING'
    RETURNING pay_attempts AS "payAttempts", status::text AS status`;
  return row ?? null;
}

/** A kind of payout the worker delivers: coupon redemptions, settlement items. */
export interface PayoutQueue<Row extends { id: string; brandId: string; payAttempts: number }> {
  /** In logs and errors: `coupon redemption`, `settlement item`. */
  noun: string;
  /** Claims the PENDING payouts whose next attempt has come, oldest first, at most `take` (claimDue). */
  due(take: number): Promise<Row[]>;
  /** Pays it (steps 2 and 3 again, with the same keys, if they ran before); it is PAID. */
  pay(row: Row, brand: BrandRef): Promise<unknown>;
  /** Keeps a failed attempt on its row if it is still PENDING (recordFailedAttempt). */
  recordFailure(row: Row, error: unknown): Promise<FailedAttempt | null>;
  /** How many are FAILED, and the last error of one of them; null when none is. */
  failed(): Promise<{ count: number; lastError: string } | null>;
}

export interface PayDueOptions {
  /** Counts each payout that becomes FAILED. */
  onFailed(): void;
  batchSize?: number;
}

/**
 * Pays the queue's due payouts, oldest first; a failure is kept with its next attempt, and the
 * payout is FAILED at once on a refusal or at its last attempt (ADR-004: loud). A FAILED payout
 * slows no other: the worker's health reports them apart (failedPayouts).
 */
export async function payDue<Row extends { id: string; brandId: string; payAttempts: number }>(
  queue: PayoutQueue<Row>,
  payer: BonusPayer,
  brandOf: (brandId: string) => BrandRef | undefined,
  { onFailed, batchSize = 100 }: PayDueOptions,
): Promise<{ paid: number; pending: boolean }> {
  const due = await queue.due(batchSize);
  let paid = 0;
  for (const row of due) {
    try {
      const brand = brandOf(row.brandId);
      if (!brand) throw new Error(`brand ${row.brandId} is not in the catalogue`);
      await queue.pay(row, brand);
      paid += 1;
    } catch (error) {
      const attempt = await queue.recordFailure(row, error);
      if (!attempt) {
        payer.log.warn({ err: error, payout: { kind: queue.noun, id: row.id } }, `${queue.noun} attempt failed, but it was paid meanwhile`);
        continue;
      }
      const failed = attempt.status === 'FAILED';
      payer.log.error(
        { err: error, payout: { kind: queue.noun, id: row.id }, attempts: attempt.payAttempts, failed },
        failed ? `${queue.noun} FAILED: refused, or not delivered after its attempts` : `${queue.noun} not paid yet; it will be retried`,
      );
      if (failed) onFailed();
    }
  }
  return { paid, pending: due.length === batchSize };
}

/** Throws FailedPayoutsError while any of the queues has a FAILED payout: a loop of its own keeps the worker unhealthy until staff retry or cancel them. */
export async function failedPayouts(queues: PayoutQueue<{ id: string; brandId: string; payAttempts: number }>[]): Promise<void> {
  const failed: FailedPayouts[] = [];
  for (const queue of queues) {
    const one = await queue.failed();
    if (one) failed.push({ noun: queue.noun, ...one });
  }
  if (failed.length > 0) throw new FailedPayoutsError(failed);
}

interface FailedPayouts {
  noun: string;
  count: number;
  lastError: string;
}

/** Payouts FAILED (refused, or not delivered after their attempts): staff must look at them, and retry or cancel them. */
export class FailedPayoutsError extends Error {
  override readonly name = 'FailedPayoutsError';
  constructor(readonly failed: FailedPayouts[]) {
    super(failed.map(({ noun, count, lastError }) => `${count} ${noun}(s) FAILED, refused or not delivered after their attempts; last error: ${lastError}`).join('; '));
  }
}
