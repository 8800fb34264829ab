import type { ReconMessage } from '@rgb/db';
import type { OutboxTransaction } from '@rgb/events';
import { nameMatches, type ParsedDeposit } from '../parsers';

/** How far apart two reports of one deposit may say it happened. */
const SAME_DEPOSIT_MS = 3 * 60_000;

/**
 * The original report of the deposit `message` reports again, if any: the id of an earlier text
 * of the same device and amount, about the same time (3 minutes), from the bank's sender, that
 * `message` repeats. Either the same SMS or Telegram text delivered again (same channel, same
 * body), whose original is the original of `message` too; or a report of another channel (an SMS
 * and the bank app's push ~20 s apart, one masking the name) with compatible depositor names and
 * equal balances where both show one, itself no duplicate, and not yet reported again from this
 * channel: a second report of that channel is a second deposit (same amount, same player, minutes
 * apart). Two pushes alike are two notifications (the ingress took the same one mirrored again as
 * one text), so two deposits. A text not from the bank's sender is never an original: it approves
 * nothing itself. Called under the brand's lock, so of two reports one is the original, whichever
 * is read first. Never `message` itself, nor a report that names `message` its original.
 */
export async function duplicateOf(tx: OutboxTransaction, message: ReconMessage, deposit: ParsedDeposit): Promise<string | null> {
  const at = deposit.occurredAt.getTime();
  const found = await tx.reconMessage.findMany({
    where: {
      brandId: message.brandId,
      deviceId: message.deviceId,
      id: { not: message.id },
      parseKind: 'DEPOSIT',
      amount: deposit.amountMinor,
      fromBankSender: true,
      occurredAt: { gte: new Date(at - SAME_DEPOSIT_MS), lte: new Date(at + SAME_DEPOSIT_MS) },
    },
    orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
  });
  // A report of `message` itself (a copy delivered again while `message` was in review, before staff had it read again) is no original of it.
  const reports = found.filter((report) => report.duplicateOfId !== message.id);
  const delivered = message.channel !== 'PUSH' && reports.find((report) => report.channel === message.channel && report.body === message.body);
  if (delivered) return delivered.duplicateOfId ?? delivered.id;
  const otherChannel = reports.filter(
    (report) =>
      report.status !== 'DUPLICATE' &&
      report.channel !== message.channel &&
      compatibleNames(report.depositor ?? '', deposit.depositor) &&
      (report.balance === null || deposit.balanceMinor === undefined || report.balance === deposit.balanceMinor),
  );
  if (otherChannel.length === 0) return null;
  const reportedAgain = await tx.reconMessage.findMany({
    where: { duplicateOfId: { in: otherChannel.map((report) => report.id) }, channel: message.channel },
    select: { duplicateOfId: true },
  });
  const taken = new Set(reportedAgain.map((duplicate) => duplicate.duplicateOfId));
  return otherChannel.find((report) => !taken.has(report.id))?.id ?? null;
}

const compatibleNames = (one: string, other: string) => one === other || nameMatches(one, other) || nameMatches(other, one);
