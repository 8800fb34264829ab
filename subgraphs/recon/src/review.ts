import { badUserInput, conflict, notFound } from '@rgb/contracts';
import type { ReconMessage, ReconMessageStatus } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type BrandRef, Doorbell, isUuid } from '@rgb/kit';
import { RECON_DOORBELL } from './domain';
import { approveMatch } from './processing/approval';
import type { ReconDeps } from './processing/deps';
import { PARSED_CURRENCY, UNPARSED } from './processing/parse';
import { lockBrand, newLease, reviewClosed } from './processing/queue';

/**
 * Staff's decisions on the brand's texts: a text of the review queue matched to a deposit request
 * by hand, or dismissed; a text that approved nothing read again. Each refuses a text of another
 * brand as unknown (NOT_FOUND) and one in another status with CONFLICT, changing nothing, and is
 * audited (STAFF_ACTION_RECORDED) in the transaction of its change.
 */

/** What a reprocessed text may be: it approved nothing, and nothing is on its way for it. */
const REPROCESSABLE: readonly ReconMessageStatus[] = ['IGNORED', 'REVIEW', 'DISMISSED'];
const MAX_REASON_LENGTH = 500;

const staffRef = (actor: StaffActor) => `staff:${actor.staffId}`;

/** The brand's text `id`, NOT_FOUND for an unknown one or another brand's. */
async function brandMessage({ prisma }: ReconDeps, brand: BrandRef, id: string): Promise<ReconMessage> {
  const message = isUuid(id) ? await prisma.reconMessage.findUnique({ where: { id } }) : null;
  if (!message || message.brandId !== brand.id) throw notFound('no such recon message');
  return message;
}

const notIn = (message: ReconMessage, statuses: readonly ReconMessageStatus[]) => conflict(`the recon message is ${message.status}, not ${statuses.join(' or ')}`);

/**
 * Matches a text of the review queue (with an amount read) to a deposit request of the brand and
 * has the wallet approve it for the text (a brand whose currency is not the won the texts are read
 * in: CONFLICT). The match is written first (MATCHED, the queue's
 * RECON_REVIEW_CLOSED): an approval left unanswered is sent again by recon_worker. A request the
 * wallet refuses (decided already, another amount: CONFLICT; unknown: NOT_FOUND) undoes the match,
 * and the text is back in review.
 */
export async function matchByHand(deps: ReconDeps, brand: BrandRef, messageId: string, depositRequestId: string, actor: StaffActor): Promise<ReconMessage> {
  const found = await brandMessage(deps, brand, messageId);
  if (!isUuid(depositRequestId)) throw notFound('no such deposit request');
  const lease = newLease();
  const match = await outboxTransaction(deps.prisma, async (tx) => {
    await lockBrand(tx, brand.id);
    const message = await tx.reconMessage.findUniqueOrThrow({ where: { id: found.id } });
    if (message.status !== 'REVIEW') throw notIn(message, ['REVIEW']);
    if (message.amount === null) throw conflict('the recon message has no amount read: add a pattern for its layout and reprocess it');
    // Its amount was read in won: credited in another currency it would be another sum.
    if (brand.currency !== PARSED_CURRENCY) throw conflict(`the recon message's amount is in ${PARSED_CURRENCY}, the brand's currency ${brand.currency}`);
    const taken = await tx.reconMatch.findUnique({ where: { requestId: depositRequestId } });
    if (taken) throw conflict('the deposit request is matched to another recon message');
    const { count } = await tx.reconMessage.updateMany({
      where: { id: message.id, status: 'REVIEW' },
      data: { status: 'MATCHED', resolvedBy: staffRef(actor), resolvedAt: new Date(), nextAttemptAt: lease },
    });
    if (count === 0) throw notIn(await tx.reconMessage.findUniqueOrThrow({ where: { id: message.id } }), ['REVIEW']);
    const created = await tx.reconMatch.create({
      data: { messageId: message.id, requestId: depositRequestId, brandId: brand.id, amount: message.amount, matchedBy: staffRef(actor) },
    });
    await reviewClosed(tx, message, 'MATCHED');
    await recordStaffAction(tx, 'recon.outbox', brand.id, actor, {
      action: 'recon_message.match',
      target_type: 'recon_message',
      target_id: message.id,
      before: { status: message.status, review_reason: message.reviewReason },
      after: { status: 'MATCHED', deposit_request_id: depositRequestId },
    });
    return created;
  });
  const outcome = await approveMatch(deps, brand, match, lease);
  if (outcome.status === 'REFUSED') {
    throw outcome.refusal.code === 'NOT_FOUND' ? notFound('no such deposit request') : conflict(`the wallet refused the approval: ${outcome.refusal.message}`);
  }
  return outcome.message;
}

/** Sets a text of the review queue aside (DISMISSED) with staff's reason (BAD_USER_INPUT when blank). */
export async function dismiss(deps: ReconDeps, brand: BrandRef, messageId: string, reason: string, actor: StaffActor): Promise<ReconMessage> {
  const note = reason.trim();
  if (note === '' || note.length > MAX_REASON_LENGTH) throw badUserInput(`reason must be 1 to ${MAX_REASON_LENGTH} characters`);
  const found = await brandMessage(deps, brand, messageId);
  return outboxTransaction(deps.prisma, async (tx) => {
    const { count } = await tx.reconMessage.updateMany({
      where: { id: found.id, status: 'REVIEW' },
      data: { status: 'DISMISSED', resolvedBy: staffRef(actor), resolvedAt: new Date(), resolutionNote: note },
    });
    const message = await tx.reconMessage.findUniqueOrThrow({ where: { id: found.id } });
    if (count === 0) throw notIn(message, ['REVIEW']);
    await reviewClosed(tx, message, 'DISMISSED');
    await recordStaffAction(tx, 'recon.outbox', brand.id, actor, {
      action: 'recon_message.dismiss',
      target_type: 'recon_message',
      target_id: message.id,
      before: { status: 'REVIEW', review_reason: message.reviewReason },
      after: { status: 'DISMISSED', reason: note },
    });
    return message;
  });
}

/**
 * Reads a text that approved nothing (IGNORED, in review, DISMISSED) again, as it was received:
 * back to RECEIVED with what it was read as, and its review or dismissal, forgotten; recon_worker
 * is rung to process it.
 */
export async function reprocess(deps: ReconDeps, brand: BrandRef, messageId: string, actor: StaffActor): Promise<ReconMessage> {
  const found = await brandMessage(deps, brand, messageId);
  if (!REPROCESSABLE.includes(found.status)) throw notIn(found, REPROCESSABLE);
  const message = await outboxTransaction(deps.prisma, async (tx) => {
    const { count } = await tx.reconMessage.updateMany({
      where: { id: found.id, status: found.status },
      data: {
        status: 'RECEIVED',
        ...UNPARSED,
        attempts: 0,
        failures: 0,
        nextAttemptAt: new Date(),
        giveUpAt: null,
        reviewReason: null,
        resolvedBy: null,
        resolvedAt: null,
        resolutionNote: null,
      },
    });
    if (count === 0) throw notIn(await tx.reconMessage.findUniqueOrThrow({ where: { id: found.id } }), REPROCESSABLE);
    if (found.status === 'REVIEW') await reviewClosed(tx, found, 'REPROCESSED');
    await recordStaffAction(tx, 'recon.outbox', brand.id, actor, {
      action: 'recon_message.reprocess',
      target_type: 'recon_message',
      target_id: found.id,
      before: { status: found.status, review_reason: found.reviewReason, ignored_reason: found.ignoredReason },
      after: { status: 'RECEIVED' },
    });
    return tx.reconMessage.findUniqueOrThrow({ where: { id: found.id } });
  });
  // After the commit, so recon_worker finds it RECEIVED; a ring lost costs the worker's poll delay.
  Doorbell.of(deps.prisma)?.ring(RECON_DOORBELL);
  return message;
}
