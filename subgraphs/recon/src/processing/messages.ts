import { type RouteResponse, walletRoutes } from '@rgb/contracts';
import type { ReconMatch, ReconMessage, ReconMessageStatus } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction } from '@rgb/events';
import type { BrandRef, CallResult } from '@rgb/kit';
import { nameMatches, type ParseResult } from '../parsers';
import { approveMatch } from './approval';
import type { ReconDeps } from './deps';
import { duplicateOf } from './duplicates';
import { PARSED_CURRENCY, parseColumns, readText } from './parse';
import { lockBrand, newLease, retryDelayMs, reviewOpened } from './queue';

/**
 * recon_worker's processing of the stored texts: each due text is claimed (a lease on its
 * `next_attempt_at`, which only its claim holds), read, and decided: set aside, sent to review,
 * a duplicate report, matched to the one pending deposit request it pays and approved through
 * the wallet, or left waiting for its request. Decisions take turns under the brand's lock, in
 * short transactions: none is held across a call to the wallet. A call without an answer decides
 * nothing: the text is tried again later.
 */

export interface ProcessingOptions extends ReconDeps {
  /** The brand of a text (the catalogue's); undefined for one the catalogue lacks. */
  brandOf(brandId: string): BrandRef | undefined;
  /** How far apart a deposit text and its request may be made (minutes). */
  windowMinutes: number;
  /** How long a deposit with no request yet waits for one, from its receipt, before review. */
  waitForRequestMs: number;
  retryMs: number;
}

/** What a turn made of a text: the status it left it in, or FAULT when the wallet did not answer (tried again). */
export type Outcome = Exclude<ReconMessageStatus, 'RECEIVED' | 'DISMISSED'> | 'FAULT';

/** What a turn of a loop did: the outcome of each text it claimed, and whether more were due. */
export interface Turn {
  outcomes: Outcome[];
  pending: boolean;
}

/**
 * Texts a turn claims, then processes one after the other: each holds at most one of the
 * worker's connections, and the batch's lease covers each one's wallet calls and their timeouts.
 */
const BATCH = 5;

/**
 * Failed turns (throws: a text no layout or pattern reads without an error, a stored value out of
 * range...) after which a text to read or match goes to review (ERROR) instead of being tried
 * again for ever. A wallet that does not answer is no failure: the text waits for it.
 */
export const MAX_FAILURES = 5;

/** Claims and processes the due texts to read or match (RECEIVED, and WAITING for their request). */
export function processDueMessages(options: ProcessingOptions, take = BATCH): Promise<Turn> {
  return processClaimed(options, ['RECEIVED', 'WAITING'], take, processMessage, recordFailure);
}

/** Claims and sends again the due approvals the wallet has not answered (MATCHED texts, their match APPROVING). */
export function retryDueApprovals(options: ProcessingOptions, take = BATCH): Promise<Turn> {
  // A failed retry is tried again for ever: its approval may be applied already, so the match stays (the worker turns unhealthy).
  return processClaimed(options, ['MATCHED'], take, retryApproval, (failed, message, error) => postpone(failed, message, error, 'sending a recon approval again failed'));
}

type Performer = (options: ProcessingOptions, message: ReconMessage, brand: BrandRef) => Promise<Outcome | null>;
type FailureHandler = (options: ProcessingOptions, message: ReconMessage, error: unknown) => Promise<void>;

/**
 * Claims up to `take` due texts in `statuses` and performs each. One that fails is handed to
 * `onFailure` (tried again after the retry delay, not its whole lease, or set aside), and the
 * others still performed; the first failure is thrown once all are done, so the loop shows it.
 */
async function processClaimed(options: ProcessingOptions, statuses: ReconMessageStatus[], take: number, perform: Performer, onFailure: FailureHandler): Promise<Turn> {
  const claimed = await claimDue(options, statuses, take);
  const outcomes: Outcome[] = [];
  let failure: unknown;
  for (const message of claimed) {
    try {
      const brand = options.brandOf(message.brandId);
      if (!brand) throw new Error(`recon message ${message.id}: brand ${message.brandId} is not in the brand catalogue`);
      const outcome = await perform(options, message, brand);
      if (outcome) outcomes.push(outcome);
    } catch (error) {
      failure ??= error;
      await onFailure(options, message, error).catch((recording: unknown) =>
        options.log.error({ err: recording, message: { id: message.id } }, 'a failed recon message could not be postponed: it waits out its lease'),
      );
    }
  }
  if (failure) throw failure;
  return { outcomes, pending: claimed.length === take };
}

/**
 * Takes a fresh lease on up to `take` due texts in `statuses`, oldest due first (rows another
 * worker is claiming skipped), counting the attempt.
 */
async function claimDue({ prisma }: ProcessingOptions, statuses: ReconMessageStatus[], take: number): Promise<ReconMessage[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE recon.message SET next_attempt_at = ${newLease()}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM recon.message
      WHERE status = ANY(${statuses}::recon.recon_message_status[]) AND next_attempt_at <= now()
      ORDER BY next_attempt_at
      LIMIT ${take}
      FOR UPDATE SKIP LOCKED)
    RETURNING id::text AS id`;
  if (rows.length === 0) return [];
  return prisma.reconMessage.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
}

/** Locks the text while the claim that leased it (its `next_attempt_at`) still holds it; false once another claim took it. */
async function stillClaimed(tx: OutboxTransaction, message: ReconMessage): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`
    SELECT 1 FROM recon.message
    WHERE id = ${message.id}::uuid AND status = ${message.status}::recon.recon_message_status AND next_attempt_at = ${message.nextAttemptAt}
    FOR UPDATE`;
  return rows.length === 1;
}

async function processMessage(options: ProcessingOptions, claimed: ReconMessage, brand: BrandRef): Promise<Outcome | null> {
  let message = claimed;
  if (!message.parsedAt) {
    const read = await settleParse(options, brand, message, await readText(options.prisma, options.log, message));
    if (!read) return null;
    if (read.status !== message.status) return read.status as Outcome;
    message = read;
  }
  const deposit = depositOf(message);
  const window = options.windowMinutes * 60_000;
  let answer: CallResult<typeof walletRoutes.pendingDeposits>;
  try {
    answer = await options.wallet.call(walletRoutes.pendingDeposits, {
      brandId: message.brandId,
      amount: deposit.amount,
      createdFrom: new Date(deposit.occurredAt.getTime() - window),
      createdTo: new Date(deposit.occurredAt.getTime() + window),
    });
  } catch (error) {
    await postpone(options, message, error, 'no answer from the wallet for a recon message');
    return 'FAULT';
  }
  if (!answer.ok) {
    // Our own query refused: asking again changes nothing, so staff look at the text.
    options.log.error({ message: { id: message.id }, brand_id: message.brandId, refusal: answer.refusal }, 'the wallet refused the pending deposits query of a recon message: it goes to review (ERROR)');
    return outboxTransaction(options.prisma, async (tx) => ((await stillClaimed(tx, message)) ? toReview(tx, message, 'ERROR') : null));
  }
  const decision = await decideMatch(options, message, deposit, answer.value);
  if (!decision) return null;
  if ('status' in decision) return decision.status;
  return approvalOutcome(await approveMatch(options, brand, decision.match, decision.lease));
}

/** Sends again the approval of a MATCHED text's match, under the claim's lease. */
async function retryApproval(options: ProcessingOptions, message: ReconMessage, brand: BrandRef): Promise<Outcome> {
  const match = await options.prisma.reconMatch.findUnique({ where: { messageId: message.id } });
  if (match?.status !== 'APPROVING') throw new Error(`recon message ${message.id} is MATCHED without a match APPROVING (${match?.status ?? 'none'})`);
  return approvalOutcome(await approveMatch(options, brand, match, message.nextAttemptAt));
}

const approvalOutcome = (outcome: Awaited<ReturnType<typeof approveMatch>>): Outcome => (outcome.status === 'UNANSWERED' ? 'FAULT' : (outcome.message.status as Outcome));

type PendingRequests = RouteResponse<typeof walletRoutes.pendingDeposits>;

/** A parsed deposit's columns, which a text past its parse and still to match has. */
function depositOf(message: ReconMessage): { amount: bigint; depositor: string; occurredAt: Date } {
  const { amount, depositor, occurredAt } = message;
  if (message.parseKind !== 'DEPOSIT' || amount === null || depositor === null || occurredAt === null) {
    throw new Error(`recon message ${message.id} is ${message.status} without a deposit read`);
  }
  return { amount, depositor, occurredAt };
}

/**
 * Stores the parse and what it decides alone: set aside (IGNORED), review (UNRECOGNISED, not from
 * the bank's sender, a brand's currency the parsers do not read), or a duplicate report; a
 * deposit to match keeps its status. The text as stored, or null when the claim was lost.
 */
async function settleParse(options: ProcessingOptions, brand: BrandRef, message: ReconMessage, result: ParseResult): Promise<ReconMessage | null> {
  return outboxTransaction(options.prisma, async (tx) => {
    await lockBrand(tx, message.brandId);
    if (!(await stillClaimed(tx, message))) return null;
    const verdict = await verdictOf(tx, brand, message, result);
    const updated = await tx.reconMessage.update({ where: { id: message.id }, data: { ...parseColumns(result, new Date()), ...verdict } });
    if (verdict?.status === 'REVIEW') await reviewOpened(tx, updated, verdict.reviewReason);
    return updated;
  });
}

type Verdict = { status: 'IGNORED' } | { status: 'REVIEW'; reviewReason: string } | { status: 'DUPLICATE'; duplicateOfId: string };

async function verdictOf(tx: OutboxTransaction, brand: BrandRef, message: ReconMessage, result: ParseResult): Promise<Verdict | null> {
  if (result.kind === 'IGNORED') return result.reason === 'UNRECOGNISED' ? { status: 'REVIEW', reviewReason: 'UNRECOGNISED' } : { status: 'IGNORED' };
  if (!result.fromBankSender) return { status: 'REVIEW', reviewReason: 'SENDER_MISMATCH' };
  // The parsers read won: another currency's amounts would be misread.
  if (brand.currency !== PARSED_CURRENCY) return { status: 'REVIEW', reviewReason: 'CURRENCY' };
  const original = await duplicateOf(tx, message, result);
  return original ? { status: 'DUPLICATE', duplicateOfId: original } : null;
}

type MatchDecision = { match: ReconMatch; lease: Date } | { status: Outcome };

/**
 * Decides a deposit's match among the brand's pending requests of its amount and time: those whose
 * depositor name fits the text's and that no other text is matched to. One: the match (APPROVING)
 * and its text MATCHED, leased to this performer, which asks the wallet at once. More, or a page
 * the wallet cut short (`truncated`: a fit beyond it would make the one in it no match): review
 * (AMBIGUOUS). None: WAITING for its request until `give_up_at`, then review (NO_CANDIDATE).
 */
async function decideMatch(options: ProcessingOptions, message: ReconMessage, deposit: ReturnType<typeof depositOf>, { requests, truncated }: PendingRequests): Promise<MatchDecision | null> {
  return outboxTransaction(options.prisma, async (tx) => {
    await lockBrand(tx, message.brandId);
    if (!(await stillClaimed(tx, message))) return null;
    const matched = await tx.reconMatch.findMany({ where: { requestId: { in: requests.map((request) => request.id) } }, select: { requestId: true } });
    const taken = new Set(matched.map((match) => match.requestId));
    const candidates = requests.filter((request) => !taken.has(request.id) && nameMatches(deposit.depositor, request.depositor_name));
    const [candidate] = candidates;
    if (truncated) return { status: await toReview(tx, message, 'AMBIGUOUS') };
    if (candidate && candidates.length === 1) {
      const lease = newLease();
      const match = await tx.reconMatch.create({
        data: { messageId: message.id, requestId: candidate.id, brandId: message.brandId, playerId: candidate.player_id, amount: deposit.amount, matchedBy: 'recon' },
      });
      await tx.reconMessage.update({ where: { id: message.id }, data: { status: 'MATCHED', nextAttemptAt: lease } });
      return { match, lease };
    }
    if (candidates.length > 1) return { status: await toReview(tx, message, 'AMBIGUOUS') };
    const giveUpAt = message.giveUpAt ?? new Date(message.receivedAt.getTime() + options.waitForRequestMs);
    const now = Date.now();
    if (now >= giveUpAt.getTime()) return { status: await toReview(tx, message, 'NO_CANDIDATE') };
    const nextAttemptAt = new Date(Math.min(now + retryDelayMs(options.retryMs, message.attempts), giveUpAt.getTime()));
    await tx.reconMessage.update({ where: { id: message.id }, data: { status: 'WAITING', giveUpAt, nextAttemptAt } });
    return { status: 'WAITING' };
  });
}

async function toReview(tx: OutboxTransaction, message: ReconMessage, reason: string): Promise<'REVIEW'> {
  await tx.reconMessage.update({ where: { id: message.id }, data: { status: 'REVIEW', reviewReason: reason } });
  await reviewOpened(tx, message, reason);
  return 'REVIEW';
}

/**
 * A turn of a text to read or match failed: counted, while the claim still holds it; the
 * MAX_FAILURES-th sends it to review (ERROR) for staff, else it is tried again after the retry delay.
 */
async function recordFailure(options: ProcessingOptions, message: ReconMessage, error: unknown): Promise<void> {
  const failures = await outboxTransaction(options.prisma, async (tx) => {
    if (!(await stillClaimed(tx, message))) return null;
    const { failures } = await tx.reconMessage.update({ where: { id: message.id }, data: { failures: { increment: 1 } } });
    if (failures >= MAX_FAILURES) await toReview(tx, message, 'ERROR');
    return failures;
  });
  if (failures === null || failures < MAX_FAILURES) return postpone(options, message, error, 'processing a recon message failed');
  options.log.error(
    { err: error, message: { id: message.id, status: message.status, attempts: message.attempts, failures }, brand_id: message.brandId },
    'processing a recon message failed too often: it goes to review (ERROR)',
  );
}

/**
 * Tries the text again after the retry delay, keeping its status, while the claim still holds it:
 * the wallet did not answer while it was being matched, or its processing failed.
 */
async function postpone({ prisma, log, retryMs }: ProcessingOptions, message: ReconMessage, error: unknown, what: string): Promise<void> {
  const delay = retryDelayMs(retryMs, message.attempts);
  const changed = await prisma.$executeRaw`
    UPDATE recon.message SET next_attempt_at = now() + ${delay}::float8 * interval '1 millisecond'
    WHERE id = ${message.id}::uuid AND status = ${message.status}::recon.recon_message_status AND next_attempt_at = ${message.nextAttemptAt}`;
  const context = { err: error, message: { id: message.id, status: message.status, attempts: message.attempts }, brand_id: message.brandId };
  if (changed === 0) log.warn(context, `${what}, after its claim was lost`);
  else log.error({ ...context, retry_in_ms: delay }, `${what}; it will be tried again`);
}
