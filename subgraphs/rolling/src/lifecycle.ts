import { badUserInput, conflict, notFound, type RequirementCancel, type RouteResponse, type rollingRoutes, walletRoutes } from '@rgb/contracts';
import type { PrismaClient, Rolling } from '@rgb/db';
import { appendToOutbox, outboxTransaction, type OutboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type BrandRef, isUuid, type ServiceClient } from '@rgb/kit';

/**
 * How requirements end besides completion (turnover.ts): canceled by staff or by the service that
 * asked for it (its credit canceled), or expired by the
 * scheduled job; and how a completion reaches the wallet, which confirms it on its stream.
 */

const changeOf = (rolling: Pick<Rolling, 'id' | 'playerId' | 'required' | 'accrued' | 'currency'>) => ({
  rolling_id: rolling.id,
  player_id: rolling.playerId,
  required_minor: rolling.required.toString(),
  accrued_minor: rolling.accrued.toString(),
  currency: rolling.currency,
});

/** Ends a locked ACTIVE requirement without its turnover, with ROLLING_CANCELED: the player may withdraw (if nothing else holds them). */
async function cancelLocked(tx: OutboxTransaction, brandId: string, id: string, why: string, canceledBy: string | null): Promise<Rolling> {
  const rolling = await tx.rolling.update({ where: { id }, data: { status: 'CANCELED', endedAt: new Date(), cancelReason: why, canceledBy } });
  await appendToOutbox(tx, 'rolling.outbox', {
    type: 'ROLLING_CANCELED',
    owner: rolling,
    brandId,
    aggregateType: 'rolling',
    aggregateId: id,
    payload: { ...changeOf(rolling), reason: why },
  });
  return rolling;
}

/** Staff end an active requirement of the brand without its turnover (audited). */
export async function cancelRolling(prisma: PrismaClient, brand: BrandRef, id: string, reason: string, actor: StaffActor): Promise<Rolling> {
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  if (!isUuid(id)) throw notFound(`no rolling ${id}`);
  return outboxTransaction(prisma, async (tx) => {
    const [locked] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status FROM rolling.rolling WHERE id = ${id}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
    if (!locked) throw notFound(`no rolling ${id}`);
    if (locked.status !== 'ACTIVE') throw conflict(`rolling ${id} is ${locked.status}, not ACTIVE`);
    const rolling = await cancelLocked(tx, brand.id, id, why, actor.staffId);
    await recordStaffAction(tx, 'rolling.outbox', brand.id, actor, {
      action: 'rolling.cancel',
      target_type: 'rolling',
      target_id: id,
      before: { status: 'ACTIVE' },
      after: { status: 'CANCELED', reason: why },
    });
    return rolling;
  });
}

/**
 * The requirement made for a source's credit (a promotion payout its service canceled) ends if it
 * is ACTIVE; one already ended, or none at all, is answered as it is: a repeat changes nothing.
 */
export async function cancelForSource(prisma: PrismaClient, request: RequirementCancel): Promise<RouteResponse<typeof rollingRoutes.cancelRequirement>> {
  return outboxTransaction(prisma, async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string; status: Rolling['status'] }[]>`
      SELECT id::text AS id, status::text AS status FROM rolling.rolling
      WHERE brand_id = ${request.brand.id}::uuid AND source = ${request.source}::rolling."RollingSource" AND source_id = ${request.sourceId}
      FOR UPDATE`;
    if (!locked) return { rolling_id: null, status: null, canceled: false };
    if (locked.status !== 'ACTIVE') return { rolling_id: locked.id, status: locked.status, canceled: false };
    await cancelLocked(tx, request.brand.id, locked.id, request.reason, null);
    return { rolling_id: locked.id, status: 'CANCELED', canceled: true };
  });
}

/** Expires the active requirements past their expiry, a batch per transaction; how many it expired. */
export async function expireDue(prisma: PrismaClient, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await outboxTransaction(prisma, async (tx) => {
      // SKIP LOCKED: a requirement a bet is filling right now is taken at the next run.
      const rows = await tx.$queryRaw<{ id: string; brand_id: string; player_id: string; required: bigint; accrued: bigint; currency: string }[]>`
        UPDATE rolling.rolling SET status = 'EXPIRED', ended_at = now()
        WHERE id IN (
          SELECT id FROM rolling.rolling WHERE status = 'ACTIVE' AND expires_at <= now()
          ORDER BY expires_at LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
        RETURNING id, brand_id, player_id, required, accrued, currency`;
      for (const row of rows) await emitExpired(tx, row);
      return rows.length;
    });
    total += expired;
    if (expired < batchSize) return total;
  }
}

function emitExpired(tx: OutboxTransaction, row: { id: string; brand_id: string; player_id: string; required: bigint; accrued: bigint; currency: string }) {
  return appendToOutbox(tx, 'rolling.outbox', {
    type: 'ROLLING_EXPIRED',
    owner: { brandId: row.brand_id },
    brandId: row.brand_id,
    aggregateType: 'rolling',
    aggregateId: row.id,
    payload: changeOf({ id: row.id, playerId: row.player_id, required: row.required, accrued: row.accrued, currency: row.currency }),
  });
}

export interface CompletionNotice {
  brand: BrandRef;
  rollingId: string;
  playerId: string;
}

/** The longest wait between two attempts to tell the wallet of a completion. */
const MAX_NOTICE_RETRY_MS = 60_000;

/**
 * Tells the wallet of completions it has not confirmed yet, oldest due first, each once its retry
 * time has come; a failure is recorded on the requirement with its next attempt (doubling from
 * `retryMs` up to a minute). A success after failures makes every waiting one due at once: the
 * wallet is back. While any completion that failed is still unconfirmed this throws, so the loop,
 * and the worker's health, report it until the wallet has confirmed them all.
 */
export async function notifyCompletions(
  prisma: PrismaClient,
  wallet: ServiceClient,
  options: { retryMs: number; batchSize?: number; brandOf(brandId: string): BrandRef | undefined },
): Promise<{ confirmed: number; pending: boolean }> {
  const batchSize = options.batchSize ?? 100;
  const unconfirmed = { status: 'COMPLETED', walletConfirmedAt: null } as const;
  const due = await prisma.rolling.findMany({ where: { ...unconfirmed, nextNotifyAt: { lte: new Date() } }, orderBy: { nextNotifyAt: 'asc' }, take: batchSize });
  let confirmed = 0;
  for (const rolling of due) {
    try {
      const brand = options.brandOf(rolling.brandId);
      if (!brand) throw new Error(`brand ${rolling.brandId} is not in the catalogue`);
      await wallet.value(walletRoutes.rollingCompletion, { brand, rollingId: rolling.id, playerId: rolling.playerId });
      await prisma.rolling.update({ where: { id: rolling.id }, data: { walletConfirmedAt: new Date(), nextNotifyAt: null, lastNotifyError: null } });
      confirmed += 1;
    } catch (error) {
      const wait = Math.min(options.retryMs * 2 ** Math.min(rolling.notifyAttempts, 20), MAX_NOTICE_RETRY_MS);
      // Another replica may have confirmed it meanwhile: only a row still unconfirmed records the failure.
      await prisma.rolling.updateMany({
        where: { id: rolling.id, walletConfirmedAt: null },
        data: { notifyAttempts: { increment: 1 }, nextNotifyAt: new Date(Date.now() + wait), lastNotifyError: (error instanceof Error ? error.message : String(error)).slice(0, 500) },
      });
    }
  }
  const failing = { ...unconfirmed, notifyAttempts: { gt: 0 } };
  if (confirmed > 0) await prisma.rolling.updateMany({ where: { ...failing, nextNotifyAt: { gt: new Date() } }, data: { nextNotifyAt: new Date() } });
  const [stillFailing] = await prisma.rolling.findMany({ where: failing, select: { lastNotifyError: true }, orderBy: { nextNotifyAt: 'asc' }, take: 1 });
  if (stillFailing) throw new CompletionNoticeError(await prisma.rolling.count({ where: failing }), stillFailing.lastNotifyError ?? 'unknown');
  return { confirmed, pending: due.length === batchSize };
}

/** Completions the wallet has not confirmed after a failed attempt; they are retried. */
export class CompletionNoticeError extends Error {
  override readonly name = 'CompletionNoticeError';
  constructor(
    readonly waiting: number,
    lastError: string,
  ) {
    super(`${waiting} completion(s) not yet confirmed by the wallet, retrying; last error: ${lastError}`);
  }
}
