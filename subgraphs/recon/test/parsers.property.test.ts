import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BANKS, parseBankText } from '../src/parsers';

type Rendered = {
  amount: string;
  /** The amount with thousands separators and `원`, as sentence forms print it. */
  amountWon: string;
  name: string;
  when: string;
  account: string;
  balance?: string;
};

/** A layout's text and whether it prints the time, account and balance. */
type Renderer = { render: (t: Rendered) => string; timed: boolean; account: boolean; balance: boolean };

const balanceLine = (t: Rendered, separator: string) => (t.balance ? `${separator}잔액${t.balance}` : '');

const nameBeforeLabel = (header: string): Renderer => ({
  render: (t) => `[Web발신]\n${header} ${t.when}\n123456**${t.account}\n${t.name}\n입금\n${t.amount}${balanceLine(t, '\n')}`,
  timed: true,
  account: true,
  balance: true,
});
const balanceBeforeName = (header: string): Renderer => ({
  render: (t) => `[Web발신]\n${header}${t.when}\n110-***-12${t.account}\n입금 ${t.amount}${balanceLine(t, '\n')}\n ${t.name}`,
  timed: true,
  account: true,
  balance: true,
});
const nameAfterAmount = (header: string): Renderer => ({
  render: (t) => `[Web발신]\n${header} ${t.when}\n1002-***-12${t.account}\n입금 ${t.amount}\n${t.name}${balanceLine(t, '\n')}`,
  timed: true,
  account: true,
  balance: true,
});
const singleLine = (header: string): Renderer => ({
  render: (t) => `${header} ${t.when} 132-***-${t.account} 입금 ${t.amount} ${t.name}${balanceLine(t, ' ')}`,
  timed: true,
  account: true,
  balance: true,
});
const amountFirst = (header: string): Renderer => ({
  render: (t) => `[Web발신]\n${header} 입금${t.amount}\n${t.when} 352-****-${t.account} ${t.name}${balanceLine(t, ' ')}`,
  timed: true,
  account: true,
  balance: true,
});
const sentence: Renderer = {
  render: (t) => `${t.name}님이 ${t.amountWon}을 보냈어요`,
  timed: false,
  account: false,
  balance: false,
};
const arrow: Renderer = {
  render: (t) => `입금 ${t.amount} ${t.name} → 내 입출금통장(${t.account})`,
  timed: false,
  account: true,
  balance: false,
};

// One renderer per layout of the bank table, in its order.
const RENDERERS: Record<string, Renderer[]> = {
  KB: [nameBeforeLabel('KB국민'), singleLine('[KB국민]'), arrow],
  SHINHAN: [balanceBeforeName('신한'), singleLine('[신한SOL]'), sentence],
  WOORI: [nameAfterAmount('우리'), singleLine('[우리은행]'), sentence],
  HANA: [nameAfterAmount('하나,'), singleLine('[하나]'), sentence],
  NH: [amountFirst('농협'), singleLine('[NH농협]'), sentence],
  IBK: [nameAfterAmount('[IBK기업]'), singleLine('[IBK]'), sentence],
  KAKAOBANK: [singleLine('[카카오뱅크]'), sentence, arrow],
  TOSSBANK: [singleLine('[토스뱅크]'), sentence, arrow],
  KBANK: [nameAfterAmount('[케이뱅크]'), singleLine('[케이뱅크]'), sentence],
  EPOST: [nameAfterAmount('[우체국]'), singleLine('[우체국예금]'), sentence],
  CU: [singleLine('[신협]'), nameAfterAmount('[신협]'), sentence],
  SC: [nameAfterAmount('[SC제일]'), singleLine('[SC제일은행]'), sentence],
  MG: [singleLine('[MG새마을금고]'), nameAfterAmount('[새마을금고]'), sentence],
};

const withSeparators = (won: number) => won.toLocaleString('en-US');
const amountStyles: ((won: number) => string)[] = [
  (won) => withSeparators(won),
  (won) => String(won),
  (won) => `${withSeparators(won)}원`,
  (won) => `${won}원`,
  (won) => `   ${withSeparators(won)} 원`,
];

const seoulClock = (at: Date) => {
  const seoul = new Date(at.getTime() + 9 * 60 * 60 * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(seoul.getUTCMonth() + 1)}/${two(seoul.getUTCDate())} ${two(seoul.getUTCHours())}:${two(seoul.getUTCMinutes())}`;
};

const hangulName = fc
  .tuple(fc.array(fc.integer({ min: 0xac00, max: 0xd7a3 }), { minLength: 2, maxLength: 4 }), fc.boolean())
  .map(([codes, masked]) => {
    const name = String.fromCharCode(...codes);
    return masked ? `${name[0]}*${name.slice(2)}` : name;
  })
  // A name that is itself a set-aside word (승인, 출금, 잔액, ...) makes its text set aside: by design.
  .filter((name) => {
    const alone = parseBankText({ sender: '', body: name, receivedAt: new Date() });
    return alone.kind === 'IGNORED' && alone.reason === 'UNRECOGNISED';
  });

const MINUTE = 60_000;
const deposit = fc.record({
  won: fc.integer({ min: 1, max: 99_999_999 }),
  amountStyle: fc.constantFrom(...amountStyles),
  name: hangulName,
  occurredAt: fc
    .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:00Z'), noInvalidDate: true })
    .map((at) => new Date(Math.floor(at.getTime() / MINUTE) * MINUTE)),
  delaySeconds: fc.integer({ min: 0, max: 600 }),
  account: fc.stringMatching(/^\d{4}$/),
  balance: fc.option(fc.integer({ min: 0, max: 999_999_999 }), { nil: undefined }),
});

describe('every layout of every bank parses back what it printed', () => {
  it('has one renderer per layout of the table', () => {
    for (const bank of BANKS) expect(RENDERERS[bank.code]?.length, bank.code).toBe(bank.layouts.length);
  });

  describe.each(BANKS.map((bank) => bank.code))('%s', (code) => {
    const sender = BANKS.find((bank) => bank.code === code)?.senders[0] ?? '';
    it.each((RENDERERS[code] ?? []).map((renderer, index) => [index, renderer] as const))('layout %i', (_, renderer) => {
      fc.assert(
        fc.property(deposit, (d) => {
          const receivedAt = new Date(d.occurredAt.getTime() + d.delaySeconds * 1000);
          const body = renderer.render({
            amount: d.amountStyle(d.won),
            amountWon: `${withSeparators(d.won)}원`,
            name: d.name,
            when: seoulClock(d.occurredAt),
            account: d.account,
            ...(d.balance === undefined ? {} : { balance: withSeparators(d.balance) }),
          });
          expect(parseBankText({ sender, body, receivedAt })).toEqual({
            kind: 'DEPOSIT',
            bank: code,
            amountMinor: BigInt(d.won),
            depositor: d.name,
            depositorMasked: d.name.includes('*'),
            fromBankSender: true,
            occurredAt: renderer.timed ? d.occurredAt : receivedAt,
            ...(renderer.account ? { accountSuffix: d.account } : {}),
            ...(renderer.balance && d.balance !== undefined ? { balanceMinor: BigInt(d.balance) } : {}),
          });
        }),
        { numRuns: 200 },
      );
    });
  });
});
