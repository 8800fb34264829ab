import { MAX_MINOR } from '@rgb/contracts';
import type { PrismaClient, ReconMessage } from '@rgb/db';
import type { Logger } from '@rgb/kit';
import { type CustomPattern, customPattern, type ParseResult, parseBankText } from '../parsers';

/** The currency the parsers read amounts in (won): a deposit text of a brand in another currency is never credited. */
export const PARSED_CURRENCY = 'KRW';

/** A text's parse columns before its first parse (or after staff reprocess it). */
export const UNPARSED = {
  parseKind: null,
  ignoredReason: null,
  bank: null,
  amount: null,
  depositor: null,
  depositorMasked: null,
  fromBankSender: null,
  occurredAt: null,
  accountSuffix: null,
  balance: null,
  parsedAt: null,
};

/**
 * Reads a text with the built-in layouts and its brand's own patterns. A deposit whose amount or
 * balance is past what money may be (MAX_MINOR) is misread, not money: UNRECOGNISED, for staff.
 */
export async function readText(prisma: PrismaClient, log: Logger, message: ReconMessage): Promise<ParseResult> {
  const result = parseBankText({ sender: message.sender, body: message.body, receivedAt: message.receivedAt, customPatterns: await brandPatterns(prisma, log, message.brandId) });
  if (result.kind === 'IGNORED' && result.patternsTimedOut) {
    // The text waits for staff either way; the pattern is what needs rewriting.
    log.warn({ message_id: message.id, brand_id: message.brandId, patterns: result.patternsTimedOut }, 'brand patterns stopped for taking too long on a recon text');
  }
  if (result.kind === 'DEPOSIT' && (result.amountMinor > MAX_MINOR || (result.balanceMinor ?? 0n) > MAX_MINOR)) {
    return { kind: 'IGNORED', reason: 'UNRECOGNISED', bank: result.bank };
  }
  return result;
}

/** What a parse stores on its text. */
export function parseColumns(result: ParseResult, parsedAt: Date) {
  if (result.kind === 'IGNORED') return { ...UNPARSED, parseKind: 'IGNORED', ignoredReason: result.reason, bank: result.bank ?? null, parsedAt };
  return {
    parseKind: 'DEPOSIT',
    ignoredReason: null,
    bank: result.bank,
    amount: result.amountMinor,
    depositor: result.depositor,
    depositorMasked: result.depositorMasked,
    fromBankSender: result.fromBankSender,
    occurredAt: result.occurredAt,
    accountSuffix: result.accountSuffix ?? null,
    balance: result.balanceMinor ?? null,
    parsedAt,
  };
}

/** The brand's own patterns, compiled; one that no longer compiles is logged and left out (staff save only valid ones). */
async function brandPatterns(prisma: PrismaClient, log: Logger, brandId: string): Promise<CustomPattern[]> {
  const rows = await prisma.reconPattern.findMany({ where: { brandId }, orderBy: { createdAt: 'asc' } });
  return rows.flatMap((row) => {
    try {
      return [customPattern(row.bank, row.pattern, row.senders)];
    } catch (error) {
      log.error({ err: error, pattern: { id: row.id, bank: row.bank }, brand_id: brandId }, 'a recon pattern does not compile; texts are read without it');
      return [];
    }
  });
}
