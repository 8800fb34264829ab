import type { ReconMessage } from '@rgb/db';
import type { OutboxTransaction } from '@rgb/events';
import { nameMatches, type ParsedDeposit } from '../parsers';

/** How far apart two reports of one deposit may say it happened. */
const SAME_DEPOSIT_MS = 3 * 60_000;

/**
 * The earlier report of the deposit `message` reports again, if any: an SMS and the bank app's
 * push of one deposit (~20 s apart, one masking the name), or the same text delivered twice. Both
 * of the same device, amount, about the same time (3 minutes), with compatible depositor names and
 * equal balances where both show one; of another channel, or with the very same body. An earlier
 * report another channel's duplicate already points at stands for one deposit only: a second
 * report of that channel is a second deposit (same amount, same player, minutes apart). A report
 * that is itself a duplicate, or that could never approve anything (not from the bank's sender),
 * is no original. Called under the brand's lock, so two reports never both pass as the original.
 */
export async function duplicateOf(tx: OutboxTransaction, message: ReconMessage, deposit: ParsedDeposit): Promise<ReconMessage | null> {
  const at = deposit.occurredAt.getTime();
  const reports = await tx.reconMessage.findMany({
    where: {
      brandId: message.brandId,
      deviceId: message.deviceId,
      id: { not: message.id },
      parseKind: 'DEPOSIT',
      amount: deposit.amountMinor,
      fromBankSender: true,
      status: { not: 'DUPLICATE' },
      occurredAt: { gte: new Date(at - SAME_DEPOSIT_MS), lte: new Date(at + SAME_DEPOSIT_MS) },
    },
    orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
  });
  const sameDeposit = reports.filter(
    (report) =>
      (report.channel !== message.channel || report.body === message.body) &&
      compatibleNames(report.depositor ?? '', deposit.depositor) &&
      (report.balance === null || deposit.balanceMinor === undefined || report.balance === deposit.balanceMinor),
  );
  if (sameDeposit.length === 0) return null;
  const reportedAgain = new Set(
    (await tx.reconMessage.findMany({ where: { duplicateOfId: { in: sameDeposit.map((report) => report.id) }, channel: message.channel }, select: { duplicateOfId: true } })).map(
      (duplicate) => duplicate.duplicateOfId,
    ),
  );
  // The same body again is a redelivery, however often: never a deposit of its own.
  return sameDeposit.find((report) => report.body === message.body || !reportedAgain.has(report.id)) ?? null;
}

const compatibleNames = (one: string, other: string) => one === other || nameMatches(one, other) || nameMatches(other, one);
