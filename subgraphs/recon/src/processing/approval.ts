import { walletRoutes } from '@rgb/contracts';
import type { ReconMatch, ReconMessage } from '@rgb/db';
import { appendToOutbox, outboxTransaction } from '@rgb/events';
import type { BrandRef, CallResult } from '@rgb/kit';
import type { ReconDeps } from './deps';
import { DEFAULT_RETRY_MS, retryDelayMs, reviewOpened } from './queue';

/**
 * The approval of a match: the wallet is asked to approve the matched deposit request (caused by
 * the text, whoever matched it), and its answer settled. The match was written before the call,
 * so a call without an answer is sent again, for the same request, until the wallet answers.
 */

/** What became of a match: APPROVED, refused by the wallet (undone, the text back in review), or unanswered (retried). */
export type ApprovalOutcome =
  | { status: 'APPROVED'; message: ReconMessage }
  | { status: 'REFUSED'; refusal: { code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_USER_INPUT'; message: string }; message: ReconMessage }
  | { status: 'UNANSWERED'; message: ReconMessage };

/** The wallet's `decided_by` of a request approved for a text: the text, whose match names who matched it. */
export const approvalCause = (messageId: string): string => `recon:${messageId}`;

/**
 * Asks the wallet to approve the match's request and settles its answer. `lease` is the text's
 * `next_attempt_at` the caller's claim set: only that claim records a call left unanswered. An
 * answer settles whoever has it (the wallet answers every call for the same approval alike), once:
 * the match's status guards it.
 */
export async function approveMatch(deps: ReconDeps, brand: BrandRef, match: ReconMatch, lease: Date): Promise<ApprovalOutcome> {
  const { wallet, log } = deps;
  const approval = { brand, requestId: match.requestId, amount: match.amount, causedBy: approvalCause(match.messageId) };
  let answer: CallResult<typeof walletRoutes.depositApproval>;
  try {
    answer = await wallet.call(walletRoutes.depositApproval, approval);
  } catch (error) {
    return { status: 'UNANSWERED', message: await recordUnanswered(deps, match, lease, error) };
  }
  if (answer.ok) return { status: 'APPROVED', message: await settleApproved(deps, match, answer.value.player_id) };
  const refusal = answer.refusal;
  const context = { match: { id: match.id, message_id: match.messageId, request_id: match.requestId }, brand_id: match.brandId, refusal };
  if (refusal.code === 'BAD_USER_INPUT') {
    // Our own approval refused (a request in another currency...): sending it again changes nothing, so staff look at the text.
    log.error(context, 'the wallet refused a deposit approval as malformed: the match is undone and the text goes to review');
  } else {
    log.info(context, 'the wallet refused a matched deposit request: the text goes back to review');
  }
  const reason = refusal.code === 'BAD_USER_INPUT' ? 'REQUEST_REFUSED' : 'REQUEST_DECIDED';
  return { status: 'REFUSED', refusal: { code: refusal.code, message: refusal.message }, message: await undoMatch(deps, match, reason) };
}

/** The wallet approved: the match and its text are APPROVED, and RECON_DEPOSIT_MATCHED names the request's player. */
async function settleApproved({ prisma }: ReconDeps, match: ReconMatch, playerId: string): Promise<ReconMessage> {
  return outboxTransaction(prisma, async (tx) => {
    const { count } = await tx.reconMatch.updateMany({
      where: { id: match.id, status: 'APPROVING' },
      data: { status: 'APPROVED', approvedAt: new Date(), playerId, lastError: null },
    });
    if (count === 0) return tx.reconMessage.findUniqueOrThrow({ where: { id: match.messageId } });
    await appendToOutbox(tx, 'recon.outbox', {
      type: 'RECON_DEPOSIT_MATCHED',
      owner: match,
      brandId: match.brandId,
      aggregateType: 'recon_message',
      aggregateId: match.messageId,
      payload: { message_id: match.messageId, request_id: match.requestId, player_id: playerId, amount_minor: match.amount.toString(), matched_by: match.matchedBy },
    });
    return tx.reconMessage.update({ where: { id: match.messageId }, data: { status: 'APPROVED', reviewReason: null } });
  });
}

/**
 * The wallet refused the request (decided meanwhile, another amount, unknown: REQUEST_DECIDED;
 * malformed: REQUEST_REFUSED): the match is deleted and the text goes back to review, under the
 * reason it had (a match by hand) or `refusedAs`.
 */
async function undoMatch({ prisma }: ReconDeps, match: ReconMatch, refusedAs: 'REQUEST_DECIDED' | 'REQUEST_REFUSED'): Promise<ReconMessage> {
  return outboxTransaction(prisma, async (tx) => {
    const { count } = await tx.reconMatch.deleteMany({ where: { id: match.id, status: 'APPROVING' } });
    const message = await tx.reconMessage.findUniqueOrThrow({ where: { id: match.messageId } });
    if (count === 0) return message;
    const reason = message.reviewReason ?? refusedAs;
    await reviewOpened(tx, message, reason);
    return tx.reconMessage.update({ where: { id: message.id }, data: { status: 'REVIEW', reviewReason: reason, resolvedBy: null, resolvedAt: null } });
  });
}

/**
 * No answer (unreachable, a timeout, a 5xx): the outcome is unknown, so the match stays APPROVING
 * and its text MATCHED, tried again after a delay doubling per attempt up to a minute, for ever.
 * Recorded only while the caller's claim (`lease`) still holds the text.
 */
async function recordUnanswered({ prisma, log, retryMs = DEFAULT_RETRY_MS }: ReconDeps, match: ReconMatch, lease: Date, error: unknown): Promise<ReconMessage> {
  const lastError = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  const attempts = await prisma.$transaction(async (tx) => {
    const [claimed] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM recon.message WHERE id = ${match.messageId}::uuid AND status = 'MATCHED' AND next_attempt_at = ${lease} FOR UPDATE`;
    if (!claimed) return null;
    const [faulted] = await tx.$queryRaw<{ attempts: number }[]>`
      UPDATE recon.match SET attempts = attempts + 1, last_error = ${lastError}
      WHERE id = ${match.id}::uuid AND status = 'APPROVING'
      RETURNING attempts`;
    if (!faulted) return null;
    await tx.$executeRaw`
      UPDATE recon.message SET next_attempt_at = now() + ${retryDelayMs(retryMs, faulted.attempts)}::float8 * interval '1 millisecond'
      WHERE id = ${match.messageId}::uuid`;
    return faulted.attempts;
  });
  const context = { err: error, match: { id: match.id, message_id: match.messageId, request_id: match.requestId }, brand_id: match.brandId };
  if (attempts === null) log.warn(context, 'deposit approval not answered after its claim was lost');
  else log.error({ ...context, attempts }, 'deposit approval not answered; it will be sent again');
  return prisma.reconMessage.findUniqueOrThrow({ where: { id: match.messageId } });
}
