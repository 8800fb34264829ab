import { createContext, Script } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BANKS,
  type BankText,
  customPattern,
  type IgnoredReason,
  MAX_DEPOSIT_TEXT_LENGTH,
  type ParseResult,
  parseBankText,
} from '../src/parsers';

// Anyone can send the phone a text, and the worker parses every one: a regex that backtracks
// catastrophically on a crafted text stalls it for every brand. Such a regex takes seconds to
// hours on a 2,000-character text (the most the SMS webhook lets through); the layouts take well
// under a millisecond. So each text must parse within BOUND_MS of CPU time: far enough from both
// to fail loudly on a regression and never on a loaded machine (CPU time, so waiting for a core
// does not count). A run still going after STOP_AFTER_MS is stopped, so a regression fails the
// test rather than stalling it (vitest's timeout cannot interrupt a regex): every parse in this
// file runs so.
const BOUND_MS = 250;
const STOP_AFTER_MS = 2_000;
const LONGEST_BODY = 2_000;
const RECEIVED = new Date('2026-12-06T05:25:00Z');
const AT = new Date('2026-12-06T05:23:00Z');

type Timing = { what: string; ms: number };

const sandbox = createContext({});
const runInSandbox = new Script('run()');

/** The CPU time of each check; throws when they are still running after STOP_AFTER_MS. */
function cpuTimes(checks: readonly [string, () => unknown][]): Timing[] {
  const timings: Timing[] = [];
  sandbox.run = () => {
    for (const [what, check] of checks) {
      const start = process.threadCpuUsage();
      check();
      const used = process.threadCpuUsage(start);
      timings.push({ what, ms: (used.user + used.system) / 1000 });
    }
  };
  try {
    runInSandbox.runInContext(sandbox, { timeout: STOP_AFTER_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
    throw new Error(`${checks[timings.length]?.[0]} still running after ${STOP_AFTER_MS} ms: catastrophic backtracking`);
  }
  return timings;
}

/** parseBankText, stopped (failing the test) after STOP_AFTER_MS; its result and CPU time. */
function parse(text: BankText): { result: ParseResult; ms: number } {
  let result: ParseResult | undefined;
  const [timing] = cpuTimes([['parseBankText', () => (result = parseBankText(text))]]);
  return { result: result as ParseResult, ms: timing?.ms ?? 0 };
}

const LAYOUTS = BANKS.flatMap((bank) => bank.layouts.map((layout, index) => [`${bank.code} layout ${index}`, layout.pattern] as const));

/**
 * Parses the body, and runs every layout of the table alone on it (the length limit keeps long
 * texts from the layouts; each must be fast without it): the CPU time of each above BOUND_MS.
 */
function slowOn(sender: string, body: string): { result: ParseResult | undefined; slow: Timing[] } {
  let result: ParseResult | undefined;
  const timings = cpuTimes([
    ['parseBankText', () => (result = parseBankText({ sender, body, receivedAt: RECEIVED }))],
    ...LAYOUTS.map(([what, pattern]) => [what, () => pattern.exec(body)] as [string, () => unknown]),
  ]);
  return { result, slow: timings.filter((timing) => timing.ms > BOUND_MS) };
}

/** head, then run repeated up to `length` characters, then tail. */
const fill = (head: string, run: string, tail: string, length: number) =>
  head + run.repeat(Math.max(1, Math.floor((length - head.length - tail.length) / run.length))) + tail;

const ignored = (reason: IgnoredReason, bank?: string): ParseResult => ({
  kind: 'IGNORED',
  reason,
  ...(bank ? { bank } : {}),
});

type Attack = {
  what: string;
  sender: string;
  head: string;
  run: string;
  tail: string;
  /** The parse at both lengths: UNRECOGNISED (of `bank`) unless given. */
  expected?: ParseResult;
  bank?: string;
  /** The parse at MAX_DEPOSIT_TEXT_LENGTH, where the layouts read it, when it differs. */
  atLimit?: ParseResult;
};

const hanaDeposit = (depositor: string): ParseResult => ({
  kind: 'DEPOSIT',
  bank: 'HANA',
  amountMinor: 50_000n,
  depositor,
  depositorMasked: false,
  fromBankSender: false,
  occurredAt: AT,
});

// Near-misses of each layout, each swollen by a run of one piece where backtracking hurts most.
// Before the layouts were rewritten, the two with spaces after a one-line amount backtracked for
// minutes to days, and the KB, 신한, 우리, 님께 and parenthesis ones were quadratic.
const ATTACKS: Attack[] = [
  { what: 'spaces after the amount (one line)', sender: '', head: '[하나] 12/06 14:23 입금 50,000', run: ' ', tail: '홍길동\nx', bank: 'HANA' },
  {
    what: 'spaces after the amount, then a name',
    sender: '',
    head: '[하나] 12/06 14:23 입금 50,000',
    run: ' ',
    tail: '홍길동',
    bank: 'HANA',
    atLimit: hanaDeposit('홍길동'),
  },
  { what: 'spaces after an app push amount', sender: 'com.kakaobank.channel', head: '입금 50,000', run: ' ', tail: '홍길동 → 통장\nx', bank: 'KAKAOBANK' },
  { what: 'arrows after an app push name', sender: 'com.kakaobank.channel', head: '입금 50,000 홍길동 ', run: '→', tail: '\nx', bank: 'KAKAOBANK' },
  { what: '-> after an app push name', sender: 'com.kakaobank.channel', head: '입금 50,000 홍길동', run: '->', tail: '\nx', bank: 'KAKAOBANK' },
  {
    what: 'spaces between amount and balance (KB lines)',
    sender: '15889999',
    head: 'KB국민 12/06 14:23\n123456**789\n홍길동\n입금\n50,000',
    run: ' ',
    tail: '잔액 1 x',
    bank: 'KB',
    atLimit: ignored('UNRECOGNISED', 'KB'),
  },
  { what: 'spaces after the amount (신한 lines)', sender: '15778000', head: '신한12/06 14:23\n110-***-123456\n입금 50,000', run: ' ', tail: 'x\n홍길동', bank: 'SHINHAN' },
  { what: 'spaces in a depositor line', sender: '15885000', head: '우리 12/06 14:23\n1002-***-123456\n입금 50,000원\n홍', run: ' ', tail: '길동\nx', bank: 'WOORI' },
  { what: '님께 without 보냈', sender: '', head: '', run: '님께', tail: '' },
  { what: 'spaces in a name (one line)', sender: '', head: '[하나] 12/06 14:23 입금 50,000 홍', run: ' ', tail: '(x)', bank: 'HANA', atLimit: hanaDeposit('홍') },
  { what: 'digits as the amount', sender: '', head: '[하나] 12/06 14:23 입금 ', run: '1', tail: ' 홍길동\nx', bank: 'HANA' },
  { what: 'an amount of endless thousands', sender: 'com.kakaobank.channel', head: '입금 1', run: ',000', tail: ' 홍길동 → 통장', bank: 'KAKAOBANK' },
  {
    what: '잔액 after the name, again and again',
    sender: '',
    head: '[하나] 12/06 14:23 입금 50,000 홍길동',
    run: ' 잔액 1',
    tail: '\nx',
    bank: 'HANA',
    atLimit: ignored('UNRECOGNISED', 'HANA'),
  },
  { what: 'spaces in a name (농협 lines)', sender: '15882100', head: '농협 입금50,000원\n12/06 14:23 352-****-1234-56 홍', run: ' ', tail: '길동\nx', bank: 'NH' },
  { what: '님이 and an amount, again and again', sender: '15778000', head: '', run: '님이 1', tail: '을 보냈어요\nx', bank: 'SHINHAN' },
  { what: 'spaces before a sentence amount', sender: '15778000', head: '홍길동님이', run: ' ', tail: '50,000원을 보냈어요x', bank: 'SHINHAN' },
  { what: 'a long account holder', sender: '', head: '[하나] ', run: '박', tail: '님 12/06 14:23 입금 50,000원 홍길동\nx', bank: 'HANA' },
  { what: 'a long account number', sender: '', head: '[신협] 12/06 14:23 1', run: '-', tail: '1 입금 50,000원 홍길동\nx', bank: 'CU' },
  { what: 'spaces after 인증', sender: '', head: '인증', run: ' ', tail: 'x' },
  { what: 'digits only', sender: '', head: '', run: '1', tail: '' },
  { what: '[Web발신] only', sender: '', head: '', run: '[Web발신]', tail: '' },
  {
    what: 'blank lines in a real text (the limit counts the normalised text)',
    sender: '15889999',
    head: 'KB국민 12/06 14:23',
    run: '\n',
    tail: '123456**789\n홍길동\n입금\n50,000',
    expected: {
      kind: 'DEPOSIT',
      bank: 'KB',
      amountMinor: 50_000n,
      depositor: '홍길동',
      depositorMasked: false,
      fromBankSender: true,
      occurredAt: AT,
      accountSuffix: '789',
    },
  },
];

describe('texts built to make the layouts backtrack', () => {
  describe.each([LONGEST_BODY, MAX_DEPOSIT_TEXT_LENGTH])('%i characters', (length) => {
    it.each(ATTACKS)('$what', ({ sender, head, run, tail, bank, expected = ignored('UNRECOGNISED', bank), atLimit }) => {
      const body = fill(head, run, tail, length);
      expect(body.length).toBeGreaterThan(length - run.length);
      const { result, slow } = slowOn(sender, body);
      expect(slow).toEqual([]);
      expect(result).toEqual(length === MAX_DEPOSIT_TEXT_LENGTH ? (atLimit ?? expected) : expected);
    });
  });
});

// One text per layout family as banks print them: the pieces the generated texts are made of.
const SAMPLES = [
  '[Web발신]\nKB국민 12/06 14:23\n123456**789\n홍길동\n입금\n50,000\n잔액1,234,567',
  '[Web발신]\n신한12/06 14:23\n110-***-123456\n입금    50,000\n잔액  1,234,567\n 홍길동',
  '[Web발신]\n[IBK기업]12/06 14:23\n입금 50,000원\n홍길동\n잔액1,234,567원\n123-******-01-011',
  '[Web발신]\n하나,12/06,14:23\n123-******-12345\n입금50,000원\n홍길동\n잔액1,234,567원',
  '[KB국민] 12/06 14:23 123456**789 FBS입금 30000원 홍*동(1234) 잔액 1,000,000원',
  '[Web발신]\n[하나] 박*훈님 12/06 14:23 입금 50,000원 홍길동 잔액1,234,567원',
  '[NH] 김*준(8205) 12/06 14:23 입금 25,000원 이순신',
  '[Web발신]\n농협 입금50,000원\n12/06 14:23 352-****-1234-56 홍길동 잔액1,234,567원',
  '이영희님이 120,000원을 입금했습니다',
  '입금 88,000원 | 박영희 → 내 토스뱅크 통장',
  '입금 50,000원 홍*동 → 내 입출금통장(1234)',
];
// Their words, numbers, runs of spaces and single characters, and the words the set-aside checks look for.
const TOKENS = SAMPLES.map((sample): string[] => sample.match(/\s+|\d+|[가-힣A-Za-z]+|./gu) ?? []);
const PIECES = [...new Set([...TOKENS.flat(), ...SAMPLES.flatMap((sample) => [...sample]), '님이', '님께', '보냈', '인증', '->'])];
// The characters the layouts' quantifiers take runs of come up as often as all the other pieces together.
const PIECE = fc.oneof(fc.constantFrom(' ', '\n', '1', ',', '원', '님', '→', '-', '*', '('), fc.constantFrom(...PIECES));
const SENDERS = ['', ...BANKS.map((bank) => bank.senders[0] ?? '')];

// Endings that keep a text matching, or break it where the layouts cannot see it coming.
const ENDING = fc.constantFrom('', 'x', '\nx', '\n1', ' (', '을', '→');

const adversarialText = fc.oneof(
  // A bank's text with every gap between its words widened by a run of whitespace: the layouts
  // still match it up to its ending, where their quantifiers must give the whitespace back.
  fc
    .record({ tokens: fc.constantFrom(...TOKENS), space: fc.constantFrom(' ', '\t', '\u3000', ' \n'), ending: ENDING })
    .map(({ tokens, space, ending }) => {
      const gaps = tokens.filter((token) => /^\s+$/u.test(token)).length;
      const room = (LONGEST_BODY - tokens.join('').length - ending.length) / Math.max(1, gaps);
      const run = space.repeat(Math.max(1, Math.floor(room / space.length)));
      return tokens.map((token) => (/^\s+$/u.test(token) ? token + run : token)).join('') + ending;
    }),
  // A bank's text with runs of pieces put in between its words, and an ending.
  fc
    .record({
      tokens: fc.constantFrom(...TOKENS),
      runs: fc.array(fc.record({ at: fc.nat(), piece: PIECE, length: fc.integer({ min: 1, max: LONGEST_BODY }) }), {
        minLength: 1,
        maxLength: 4,
      }),
      ending: ENDING,
    })
    .map(({ tokens, runs, ending }) => {
      const parts = [...tokens];
      const room = (LONGEST_BODY - tokens.join('').length - ending.length) / runs.length;
      for (const { at, piece, length } of runs)
        parts.splice(at % (parts.length + 1), 0, piece.repeat(Math.max(1, Math.floor(Math.min(length, room) / piece.length))));
      return (parts.join('') + ending).slice(0, LONGEST_BODY);
    }),
  // Pieces of every layout strung together, each repeated.
  fc
    .array(fc.tuple(PIECE, fc.integer({ min: 1, max: 300 })), { minLength: 1, maxLength: 30 })
    .map((runs) => runs.map(([piece, times]) => piece.repeat(times)).join('').slice(0, LONGEST_BODY)),
);

describe('generated adversarial texts', () => {
  it(`parse, and every layout fails or reads them, within ${BOUND_MS} ms each`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...SENDERS), adversarialText, (sender, body) => {
        const { result, slow } = slowOn(sender, body);
        expect(slow).toEqual([]);
        expect(['DEPOSIT', 'IGNORED']).toContain(result?.kind);
      }),
      // A regression fails on its first slow text: shrinking it would run the slow regex again and again.
      { numRuns: 400, endOnFailure: true },
    );
  });
});

describe('a text longer than a deposit text', () => {
  const head = '[하나] 12/06 14:23 입금 50,000원 ';
  const oneLine = (length: number) => head + '가'.repeat(length - head.length);

  it(`is read up to ${MAX_DEPOSIT_TEXT_LENGTH} characters, and goes to review beyond`, () => {
    const hana = (body: string) => parse({ sender: '15991111', body, receivedAt: RECEIVED }).result;
    expect(hana(oneLine(MAX_DEPOSIT_TEXT_LENGTH))).toEqual({
      ...hanaDeposit('가'.repeat(MAX_DEPOSIT_TEXT_LENGTH - head.length)),
      fromBankSender: true,
    });
    expect(hana(oneLine(MAX_DEPOSIT_TEXT_LENGTH + 1))).toEqual(ignored('UNRECOGNISED', 'HANA'));
  });

  it('is still set aside for what it is', () => {
    const advertisement = `(광고)[신한] ${'이벤트 '.repeat(300)}무료거부 0800000000`;
    expect(parse({ sender: '15778000', body: advertisement, receivedAt: RECEIVED }).result).toEqual(ignored('ADVERTISEMENT', 'SHINHAN'));
  });
});

describe('amounts', () => {
  const ibk = (amount: string) => parse({ sender: '15662566', body: `[IBK] 12/06 14:23 입금 ${amount} 홍길동`, receivedAt: RECEIVED }).result;

  it.each([
    ['999,999,999,999,999원', 999_999_999_999_999n],
    ['999999999999999', 999_999_999_999_999n],
  ])('of up to 15 digits are read: %s', (amount, amountMinor) => {
    expect(ibk(amount)).toMatchObject({ kind: 'DEPOSIT', amountMinor });
  });

  // A bigint column holds 19 digits: no text may put a longer number there.
  it.each(['9,999,999,999,999,999원', '1234567890123456', '12345678901234567890원'])('of more digits are none: %s', (amount) => {
    expect(ibk(amount)).toEqual(ignored('UNRECOGNISED', 'IBK'));
  });

  it('a brand pattern catches that are no number make no deposit', () => {
    const loose = customPattern('LOOSE', String.raw`^입금 (?<amount>\S+)원 (?<depositor>\S+)(?: 잔액 (?<balance>\S+)원)?$`);
    const read = (body: string) => parse({ sender: '', body, receivedAt: RECEIVED, customPatterns: [loose] }).result;
    expect(read('입금 5만원 홍길동')).toEqual(ignored('UNRECOGNISED'));
    expect(read('입금 50,000원 홍길동 잔액 많음원')).toEqual(ignored('UNRECOGNISED'));
    expect(read('입금 50,000원 홍길동 잔액 60,000원')).toEqual({
      kind: 'DEPOSIT',
      bank: 'LOOSE',
      amountMinor: 50_000n,
      depositor: '홍길동',
      depositorMasked: false,
      fromBankSender: false,
      occurredAt: RECEIVED,
      balanceMinor: 60_000n,
    });
  });
});

describe('brand patterns', () => {
  it.each([
    ['a quantifier in a repeated group', String.raw`^입금 (?<amount>\d+) (?<depositor>(?:\S+\s?)+)$`, /repeats \(\+\) a group/],
    ['an alternation in a repeated group', String.raw`^입금 (?<amount>(?:\d|,)+) (?<depositor>\S+)$`, /repeats \(\+\) a group/],
    ['a variable count in a repeated group', String.raw`^입금 (?<amount>(?:\d{1,3},?){2,5}) (?<depositor>\S+)$`, /repeats \(\{2,5\}\) a group/],
    ['a quantifier deeper in a repeated group', String.raw`^입금 (?<amount>\d+) (?<depositor>(?:(?:\S)+ )*)$`, /repeats \(\*\) a group/],
    ['a named back-reference', String.raw`^(?<depositor>\S+) (?<amount>\d+) \k<depositor>$`, /refers back to a group \(\\k<depositor>\)/],
    ['a numbered back-reference', String.raw`^(\S+) (?<amount>\d+) (?<depositor>\1)$`, /refers back to a group \(\\1\)/],
    ['more than 1,000 characters', String.raw`^(?<amount>\d+) (?<depositor>\S+)${' ?'.repeat(500)}$`, /longer than 1000/],
  ])('are refused with %s', (_, source, message) => {
    expect(() => customPattern('X', source)).toThrow(message);
  });

  it.each([
    [
      'a real one',
      String.raw`^\[광주은행\]\s*(?<month>\d{2})\/(?<day>\d{2})\s+(?<hour>\d{2}):(?<minute>\d{2})\s+입금\s*(?<amount>[\d,]+)원\s+(?<depositor>\S+)(?:\s+잔액\s*(?<balance>[\d,]+)원)?$`,
    ],
    ['fixed counts in a repeated group', String.raw`^입금 (?<amount>\d{1,3}(?:,\d{3})+) (?<depositor>\S+)$`],
    ['quantifier characters in classes and escapes', String.raw`^입금 (?<amount>[\d+*?{}(|)]+)\(\d+\)+ (?<depositor>[^\s()|]+)$`],
    ['an alternation in a group that is not repeated', String.raw`^(?:입금|이체) (?<amount>\d+) (?<depositor>\S+|[가-힣]{2,4}\*?)$`],
    ['lookarounds and \\0', String.raw`^(?<!x)입금 (?<amount>\d+)(?=\s) (?<depositor>\S+)\0?$`],
  ])('are accepted with %s', (_, source) => {
    expect(() => customPattern('X', source)).not.toThrow();
  });

  it("are held to the rule the table's own layouts keep", () => {
    for (const [what, pattern] of LAYOUTS) expect(() => customPattern(what, pattern.source), what).not.toThrow();
  });

  // Backtracking in `\d*\d*\d*...` is polynomial, not exponential: the check lets it through, and
  // on a text of 500 digits it would run for days. The time limit stops it.
  const slow = customPattern('SLOW', String.raw`^(?<amount>\d*)\d*\d*\d*\d*\d*(?<depositor>x)$`);
  const digits = `${'1'.repeat(MAX_DEPOSIT_TEXT_LENGTH - 3)} 잔액`;

  it('that run out of time send the text to review, naming them', () => {
    const { result, ms } = parse({ sender: '', body: digits, receivedAt: RECEIVED, customPatterns: [slow] });
    // Not a balance notice, though it says 잔액: the pattern that ran out may be the one that reads it.
    expect(result).toEqual({ kind: 'IGNORED', reason: 'UNRECOGNISED', patternsTimedOut: ['SLOW'] });
    expect(ms).toBeLessThan(BOUND_MS * 4);
  });

  it('that run out of time leave the others to read the text', () => {
    const afterDigits = customPattern('AFTER_DIGITS', String.raw`^\d+ 입금 (?<amount>\d+) (?<depositor>\S+)$`);
    const body = `${'1'.repeat(400)} 입금 50000 홍길동`;
    expect(parse({ sender: '', body, receivedAt: RECEIVED, customPatterns: [slow, afterDigits] }).result).toEqual({
      kind: 'DEPOSIT',
      bank: 'AFTER_DIGITS',
      amountMinor: 50_000n,
      depositor: '홍길동',
      depositorMasked: false,
      fromBankSender: false,
      occurredAt: RECEIVED,
    });
  });
});
