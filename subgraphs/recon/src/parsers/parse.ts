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

export type IgnoredText = { kind: 'IGNORED'; reason: IgnoredReason; bank?: string };

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

/**
 * Compiles a brand-configured pattern (a named-group regex like the table's layouts) for the bank
 * whose senders are given; throws when it is no valid regex or lacks the amount/depositor groups.
 */
export function customPattern(bank: string, source: string, senders: readonly string[] = []): CustomPattern {
  const pattern = new RegExp(source, 'u');
  const missing = REQUIRED_GROUPS.filter((group) => !source.includes(`(?<${group}>`));
  if (missing.length > 0) throw new Error(`custom pattern for ${bank} lacks the named groups ${missing.join(', ')}`);
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
  ['TRANSFER_OUT', /이체\s*출금|출금\s*이체|님(?:께|에게)[\s\S]*보냈|송금\s*완료/u],
  // `입출금통장` names a deposit's account, not a withdrawal.
  ['WITHDRAWAL', /(?<!입)출금|인출/u],
];
const BALANCE_WORDS = /잔액|잔고/u;

const SEOUL_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function parseBankText({ sender, body, receivedAt, customPatterns = [] }: BankText): ParseResult {
  const text = normalise(body);
  const key = senderKey(sender);
  const senderBank = BANKS.find((candidate) => candidate.senders.includes(key));
  const bank = senderBank ?? BANKS.find((candidate) => candidate.labels.some((label) => text.includes(label)));
  const ignored = (reason: IgnoredReason): IgnoredText => ({ kind: 'IGNORED', reason, ...(bank ? { bank: bank.code } : {}) });

  for (const [reason, pattern] of NOT_DEPOSITS) if (pattern.test(text)) return ignored(reason);

  const candidates: CustomPattern[] = [
    ...(senderBank?.layouts.map((layout) => ({ bank: senderBank.code, senders: senderBank.senders, layout })) ?? []),
    ...BANKS.flatMap(({ code, senders, layouts }) =>
      layouts.filter((layout) => !layout.senderOnly).map((layout) => ({ bank: code, senders, layout })),
    ),
    ...customPatterns,
  ];
  for (const candidate of candidates) {
    const deposit = readDeposit(candidate, key, text, receivedAt);
    if (deposit) return deposit;
  }
  return ignored(BALANCE_WORDS.test(text) ? 'BALANCE_NOTICE' : 'UNRECOGNISED');
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
  { bank, senders, layout }: CustomPattern,
  sender: string,
  text: string,
  receivedAt: Date,
): ParsedDeposit | undefined {
  const groups = layout.pattern.exec(text)?.groups;
  if (!groups?.amount || !groups.depositor) return undefined;
  const amountMinor = parseWon(groups.amount);
  const depositor = cleanDepositor(groups.depositor);
  const occurredAt = groups.month ? textTime(groups, receivedAt) : receivedAt;
  if (amountMinor <= 0n || depositor === '' || !occurredAt) return undefined;
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
    ...(groups.balance ? { balanceMinor: parseWon(groups.balance) } : {}),
  };
}

function parseWon(amount: string): bigint {
  return BigInt(amount.replace(/[,\s]/gu, ''));
}

// A name with a code or a parenthesis appended (`홍길동(1234)`, `홍길동0123`) is the name; a
// company or memo is kept as written.
function cleanDepositor(raw: string): string {
  const trimmed = raw.trim().replace(/\s*\([^()]*\)$/u, '');
  return trimmed.replace(/^([가-힣*]{2,5})\d{2,}$/u, '$1').trim();
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
