import { backtrackingHazard, execWithin } from './backtracking';
import { BANKS } from './banks';
import type { Layout } from './layouts';

export type IgnoredReason =
  | 'WITHDRAWAL'
  | 'TRANSFER_OUT'
  | 'CARD'
  | 'CANCELLED'
  | 'OTP'
  | 'BALANCE_NOTICE'
  | 'ADVERTISEMENT'
  | 'UNRECOGNISED';

export type ParsedDeposit = {
  kind: 'DEPOSIT';
  bank: string;
  /** KRW has no minor digits: the amount in won. */
  amountMinor: bigint;
  depositor: string;
  depositorMasked: boolean;
  /**
   * Whether the text came from a number or app of the bank it is laid out as. Anyone can send the
   * device a text shaped like a bank's, so one from another sender deserves a person's look.
   */
  fromBankSender: boolean;
  occurredAt: Date;
  accountSuffix?: string;
  balanceMinor?: bigint;
};

export type IgnoredText = {
  kind: 'IGNORED';
  reason: IgnoredReason;
  bank?: string;
  /** Banks whose brand pattern ran out of time on this text (UNRECOGNISED then): staff should rewrite it. */
  patternsTimedOut?: string[];
};

export type ParseResult = ParsedDeposit | IgnoredText;

/** A layout and the bank whose texts it reads: a table entry's, or a brand's own for a bank the table lacks. */
export type CustomPattern = { bank: string; senders: readonly string[]; layout: Layout };

export type BankText = {
  sender: string;
  body: string;
  receivedAt: Date;
  customPatterns?: readonly CustomPattern[];
};

const REQUIRED_GROUPS = ['amount', 'depositor'] as const;
/** Far longer than any layout needs; bounds what compiling a pattern staff saved can cost. */
const MAX_PATTERN_LENGTH = 1000;

/**
 * Compiles a brand-configured pattern (a named-group regex like the table's layouts) for the bank
 * whose senders are given; throws when it is no valid regex, lacks the amount/depositor groups, is
 * longer than 1,000 characters, or could backtrack exponentially (see backtrackingHazard).
 */
export function customPattern(bank: string, source: string, senders: readonly string[] = []): CustomPattern {
  if (source.length > MAX_PATTERN_LENGTH)
    throw new Error(`custom pattern for ${bank} is longer than ${MAX_PATTERN_LENGTH} characters`);
  const pattern = new RegExp(source, 'u');
  const missing = REQUIRED_GROUPS.filter((group) => !source.includes(`(?<${group}>`));
  if (missing.length > 0) throw new Error(`custom pattern for ${bank} lacks the named groups ${missing.join(', ')}`);
  const hazard = backtrackingHazard(source);
  if (hazard) throw new Error(`custom pattern for ${bank} ${hazard}`);
  return { bank, senders: senders.map(senderKey), layout: { pattern } };
}

// Checked before any deposit layout, in this order: a text that looks like one of these is never
// read as a deposit, whatever amount and name it quotes (a missed deposit waits for review; a
// misread one would credit money).
const NOT_DEPOSITS: readonly [IgnoredReason, RegExp][] = [
  ['OTP', /인증\s*번호|인증\s*코드|확인\s*코드|승인\s*번호|보안\s*코드|OTP/iu],
  ['ADVERTISEMENT', /[([]광고[)\]]|^광고|수신\s*거부|무료\s*거부|이벤트|경품|당첨/u],
  ['CANCELLED', /입금\s*취소|입금\s*정정/u],
  ['CARD', /승인|취소|일시불|할부|체크카드|신용카드/u],
  // A `보냈` after any `님께`/`님에게` is one after the first of them: looking from the first only
  // scans the text once, however many of them an attacker repeats.
  ['TRANSFER_OUT', /이체\s*출금|출금\s*이체|^(?:(?!님께|님에게)[\s\S])*님(?:께|에게)[\s\S]*보냈|송금\s*완료/u],
  // `입출금통장` names a deposit's account, not a withdrawal.
  ['WITHDRAWAL', /(?<!입)출금|인출/u],
];
const BALANCE_WORDS = /잔액|잔고/u;
const DEPOSIT_WORDS = /입금|보내셨/u;

/**
 * A deposit text is under 300 characters; 500 leaves room for a long company name or memo. A
 * longer text (normalised) is still checked for what it is not (those checks are linear, so a long
 * advertisement is set aside), but no layout or brand pattern reads it: it goes to review. This
 * bounds what they can cost on anything an attacker sends (the SMS webhook lets 2,000 through).
 */
export const MAX_DEPOSIT_TEXT_LENGTH = 500;
/**
 * A brand pattern that has not answered on a 500-character text by then backtracks
 * catastrophically (a sound one answers within a millisecond): it is stopped, and the text goes
 * to review.
 */
const PATTERN_TIME_LIMIT_MS = 100;

const SEOUL_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function parseBankText({ sender, body, receivedAt, customPatterns = [] }: BankText): ParseResult {
  const text = normalise(body);
  const key = senderKey(sender);
  const senderBank = BANKS.find((candidate) => candidate.senders.includes(key));
  const bank = senderBank ?? BANKS.find((candidate) => candidate.labels.some((label) => text.includes(label)));
  const ignored = (reason: IgnoredReason): IgnoredText => ({ kind: 'IGNORED', reason, ...(bank ? { bank: bank.code } : {}) });

  for (const [reason, pattern] of NOT_DEPOSITS) if (pattern.test(text)) return ignored(reason);
  if (text.length > MAX_DEPOSIT_TEXT_LENGTH) return ignored('UNRECOGNISED');

  const tableLayouts: CustomPattern[] = [
    ...(senderBank?.layouts.map((layout) => ({ bank: senderBank.code, senders: senderBank.senders, layout })) ?? []),
    ...BANKS.flatMap(({ code, senders, layouts }) =>
      layouts.filter((layout) => !layout.senderOnly).map((layout) => ({ bank: code, senders, layout })),
    ),
  ];
  for (const candidate of tableLayouts) {
    const deposit = readDeposit(candidate, key, candidate.layout.pattern.exec(text), receivedAt);
    if (deposit) return deposit;
  }
  const timedOut: string[] = [];
  for (const candidate of customPatterns) {
    const match = execWithin(candidate.layout.pattern, text, PATTERN_TIME_LIMIT_MS);
    if (match === 'TIMED_OUT') {
      timedOut.push(candidate.bank);
      continue;
    }
    const deposit = readDeposit(candidate, key, match, receivedAt);
    if (deposit) return deposit;
  }
  // The pattern that ran out of time may have been the one that reads this text: never set it aside unseen.
  if (timedOut.length > 0) return { ...ignored('UNRECOGNISED'), patternsTimedOut: timedOut };
  // A text that speaks of money coming in and that no layout read may be a deposit misread: staff look at it.
  return ignored(BALANCE_WORDS.test(text) && !DEPOSIT_WORDS.test(text) ? 'BALANCE_NOTICE' : 'UNRECOGNISED');
}

function normalise(body: string): string {
  return body
    .replace(/\[Web발신\]/gu, '\n')
    .split(/\r?\n/u)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}

/** A phone number as its digits, an app name or package id in lower case. */
function senderKey(sender: string): string {
  const lowered = sender.trim().toLowerCase();
  const digits = lowered.replace(/[\s()+-]/gu, '');
  return /^\d+$/u.test(digits) ? digits : lowered;
}

function readDeposit(
  { bank, senders }: CustomPattern,
  sender: string,
  match: RegExpExecArray | null,
  receivedAt: Date,
): ParsedDeposit | undefined {
  const groups = match?.groups;
  if (!groups?.amount || !groups.depositor) return undefined;
  const amountMinor = parseWon(groups.amount);
  const balanceMinor = groups.balance ? parseWon(groups.balance) : undefined;
  const depositor = cleanDepositor(groups.depositor);
  const occurredAt = groups.month ? textTime(groups, receivedAt) : receivedAt;
  if (amountMinor === undefined || amountMinor === 0n || (groups.balance && balanceMinor === undefined)) return undefined;
  if (depositor === '' || !occurredAt) return undefined;
  const account = groups.account ?? groups.trailingAccount ?? groups.holderAccount;
  const accountSuffix = account?.replaceAll('-', '').match(/\d{1,4}$/u)?.[0];
  return {
    kind: 'DEPOSIT',
    bank,
    amountMinor,
    depositor,
    depositorMasked: depositor.includes('*'),
    fromBankSender: senders.includes(sender),
    occurredAt,
    ...(accountSuffix ? { accountSuffix } : {}),
    ...(balanceMinor === undefined ? {} : { balanceMinor }),
  };
}

/**
 * Won as the text prints them (`1,234,567`), or undefined when that is no number of at most 15
 * digits: a brand pattern's group may catch anything, and the amount must fit a bigint column.
 */
function parseWon(printed: string): bigint | undefined {
  const digits = printed.replace(/[,\s]/gu, '');
  return /^\d{1,15}$/u.test(digits) ? BigInt(digits) : undefined;
}

// A name with a code or a parenthesis appended (`홍길동(1234)`, `홍길동0123`) is the name; a
// company or memo is kept as written.
function cleanDepositor(raw: string): string {
  const trimmed = raw.trim().replace(/\([^()]*\)$/u, '').trimEnd();
  return trimmed.replace(/^([가-힣*]{2,5})\d{2,}$/u, '$1');
}

// The text's time is Korea's (UTC+9, no daylight saving) and carries no year: it is the latest
// year that does not put the text more than a day after its receipt (12/31 received 01/01 is last
// year's; 01/01 received a minute before new year, by a slow phone clock, is next year's).
function textTime(groups: Record<string, string | undefined>, receivedAt: Date): Date | undefined {
  const [month, day, hour, minute] = [groups.month, groups.day, groups.hour, groups.minute].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59) return undefined;
  const seoulYear = new Date(receivedAt.getTime() + SEOUL_OFFSET_MS).getUTCFullYear();
  for (const year of [seoulYear + 1, seoulYear, seoulYear - 1]) {
    const local = new Date(Date.UTC(year, month - 1, day, hour, minute));
    if (local.getUTCDate() !== day) continue;
    const at = new Date(local.getTime() - SEOUL_OFFSET_MS);
    if (at.getTime() <= receivedAt.getTime() + DAY_MS) return at;
  }
  return undefined;
}
