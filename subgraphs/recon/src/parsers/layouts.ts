// Regex fragments and layout families shared by the bank table. A layout is a regex over the
// normalised text (one trimmed, non-empty line per line, `[Web발신]` removed) with named groups:
// amount and depositor always; month/day/hour/minute, account, holderAccount and balance when the
// text prints them. The account holder some banks print is matched but never captured as depositor.
//
// Anyone can send the phone a text, so a layout must fail fast on any text, not only read real
// ones: each variable-length piece is followed by something it cannot match itself (an amount
// stops where no digit follows, one quantifier takes a run of spaces, a name starts and ends with a
// non-space and cannot reach past an arrow). A text that fails a layout then fails it in time
// linear in its length; two quantifiers that could share a run of spaces (`\s*원?\s+.+?`) made a
// 2,000-character text backtrack for minutes. test/parsers.adversarial.test.ts holds them to it.

export type Layout = {
  pattern: RegExp;
  /** App-push and sentence forms carry no bank name, so they are read only from that bank's sender. */
  senderOnly?: boolean;
};

/**
 * Up to 15 digits (999조 won, far above any deposit and inside PostgreSQL's bigint), with or
 * without thousands separators, and no digit after it: a longer number is no amount.
 */
const NUMBER = String.raw`(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?!,?\d)`;
const WON = String.raw`(?:\s*원)?`;
const AMOUNT = `(?<amount>${NUMBER})${WON}`;
/** After the amount, on its line or the next. */
const BALANCE = String.raw`(?:\s*잔액\s*(?<balance>${NUMBER})${WON})?`;
/** On its own line, after a depositor line (a `잔액` on the depositor's line is part of the name). */
const BALANCE_LINE = String.raw`(?:\n잔액\s*(?<balance>${NUMBER})${WON})?`;
const WHEN = String.raw`(?<month>\d{1,2})\/(?<day>\d{1,2})[\s,]+(?<hour>\d{1,2}):(?<minute>\d{2})`;
const ACCOUNT = String.raw`(?<account>\d[\d*-]*\d)`;
const DEPOSIT_LABEL = '(?:전자금융|FBS|타행|모바일|인터넷|ATM|CMS|이체|스마트)?입금';
const NAME_LINE = String.raw`(?<depositor>[^\n]+)`;
/** The shortest run of words (on one line) that lets the rest of the layout match. */
const NAME_WORDS = String.raw`(?<depositor>\S(?:.*?\S)??)`;
// `박*훈님` or `김*준(8205)`: the account holder, printed before the time by some banks.
const HOLDER = String.raw`(?:[^\s(]+님\s+|[^\s(]+\((?<holderAccount>\d{4})\)\s+)?`;

const layout = (source: string, senderOnly = false): Layout => ({
  pattern: new RegExp(`^${source}$`, 'u'),
  ...(senderOnly ? { senderOnly } : {}),
});

/** Header, account, depositor, label, amount and balance each on their own line (KB국민). */
export const nameBeforeLabelLines = (header: string): Layout =>
  layout(String.raw`${header}\s*${WHEN}\n${ACCOUNT}\n${NAME_LINE}\n${DEPOSIT_LABEL}\n${AMOUNT}${BALANCE}`);

/** Header, optional account, `입금 amount`, optional balance, then the depositor line (신한). */
export const balanceBeforeNameLines = (header: string): Layout =>
  layout(String.raw`${header}\s*${WHEN}(?:\n${ACCOUNT})?\n${DEPOSIT_LABEL}\s*${AMOUNT}${BALANCE}\n${NAME_LINE}`);

/** Header, optional account, `입금 amount`, the depositor line, optional balance and account (우리, 하나, ...). */
export const nameAfterAmountLines = (header: string): Layout =>
  layout(String.raw`${header}\s*${WHEN}(?:\n${ACCOUNT})?\n${DEPOSIT_LABEL}\s*${AMOUNT}\n${NAME_LINE}${BALANCE_LINE}(?:\n(?<trailingAccount>\d[\d*-]*\d))?`);

/** Everything on one line (line breaks allowed): header, holder?, time, account?, label, amount, depositor, balance?. */
export const singleLine = (header: string): Layout =>
  layout(String.raw`${header}\s*${HOLDER}${WHEN}\s+(?:${ACCOUNT}\s+)?${DEPOSIT_LABEL}\s*${AMOUNT}\s+${NAME_WORDS}${BALANCE}`);

/** `농협 입금50,000원` then `12/06 14:23 352-****-1234-56 홍길동 잔액1,234,567원` (NH농협). */
export const amountFirstLines = (header: string): Layout =>
  layout(String.raw`${header}\s*${DEPOSIT_LABEL}\s*${AMOUNT}\s+${WHEN}\s+${ACCOUNT}\s+${NAME_WORDS}${BALANCE}`);

/** App push sentence: `홍길동님이 50,000원을 보냈어요` / `...입금했습니다`. */
export const sentencePush = (): Layout =>
  // Greedy: the last `님이` ends the name, so a name holding 님 stays whole.
  layout(String.raw`(?<depositor>.+)님이\s*${AMOUNT}을\s*(?:보냈어요|입금했습니다|입금했어요)\.?`, true);

/**
 * App push: `입금 50,000원 홍*동 → 내 입출금통장(1234)` or `입금 88,000원 | 박영희 → ...` (the account
 * may start the next line). `원` or a space ends the amount, and the name holds no `→` or `>`.
 */
export const arrowPush = (): Layout =>
  layout(
    String.raw`${DEPOSIT_LABEL}\s*(?<amount>${NUMBER})(?:\s*원\s*|\s+)(?:\|\s*)?(?<depositor>[^\s→>|](?:[^\n→>]*?[^\s→>])??)\s*(?:→|->)\n?[^\n]*?(?:\((?<holderAccount>\d{4})\))?`,
    true,
  );
