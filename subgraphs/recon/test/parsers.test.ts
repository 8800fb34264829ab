import { describe, expect, it } from 'vitest';
import { BANKS, customPattern, nameMatches, type ParseResult, parseBankText } from '../src/parsers';

/** A Korean wall-clock time as an instant. */
const seoul = (iso: string) => new Date(`${iso}+09:00`);

const RECEIVED = seoul('2026-12-06T14:25:00');
const AT = seoul('2026-12-06T14:23:00');

type Expected = {
  amount: number;
  depositor: string;
  at?: Date;
  account?: string;
  balance?: number;
};

const deposit = (
  bank: string,
  { amount, depositor, at = AT, account, balance }: Expected,
  fromBankSender = true,
): ParseResult => ({
  kind: 'DEPOSIT',
  bank,
  amountMinor: BigInt(amount),
  depositor,
  depositorMasked: depositor.includes('*'),
  fromBankSender,
  occurredAt: at,
  ...(account ? { accountSuffix: account } : {}),
  ...(balance === undefined ? {} : { balanceMinor: BigInt(balance) }),
});

type Case = { sender: string; body: string; expected: Expected };

const DEPOSITS: Record<string, Case[]> = {
  KB: [
    {
      sender: '1588-9999',
      body: '[Web발신]\nKB국민 12/06 14:23\n123456**789\n홍길동\n입금\n50,000\n잔액1,234,567',
      expected: { amount: 50_000, depositor: '홍길동', account: '789', balance: 1_234_567 },
    },
    {
      sender: '16449999',
      body: '[Web발신]\n[KB]12/06 14:23\n123456**789\n 주식회사가나상사\n전자금융입금\n   1,500,000\n잔액 2,734,567',
      expected: { amount: 1_500_000, depositor: '주식회사가나상사', account: '789', balance: 2_734_567 },
    },
    {
      sender: '15889999',
      body: '[KB국민] 12/06 14:23 123456**789 FBS입금 30000원 홍*동(1234) 잔액 1,000,000원',
      expected: { amount: 30_000, depositor: '홍*동', account: '789', balance: 1_000_000 },
    },
    {
      sender: 'com.kbstar.kbbank',
      body: '입금 50,000원 김철수 → KB국민 입출금(6789)',
      expected: { amount: 50_000, depositor: '김철수', at: RECEIVED, account: '6789' },
    },
  ],
  SHINHAN: [
    {
      sender: '15778000',
      body: '[Web발신]\n신한12/06 14:23\n110-***-123456\n입금    50,000\n잔액  1,234,567\n 홍길동',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15778000',
      body: '[Web발신]\n신한 12/06 14:23\n110-***-123456\n입금 7000\n홍길동0123',
      expected: { amount: 7_000, depositor: '홍길동', account: '3456' },
    },
    {
      sender: '신한SOL',
      body: '[신한SOL] 12/06 14:23 입금 2,000,000원 월세 12월분 잔액 3,000,000원',
      expected: { amount: 2_000_000, depositor: '월세 12월분', balance: 3_000_000 },
    },
    {
      sender: '신한SOL',
      body: '이영희님이 120,000원을 입금했습니다',
      expected: { amount: 120_000, depositor: '이영희', at: RECEIVED },
    },
  ],
  WOORI: [
    {
      sender: '15885000',
      body: '[Web발신]\n우리 12/06 14:23\n1002-***-123456\n입금 50,000원\n홍길동\n잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15885000',
      body: '[Web발신]\n우리 12/06 14:23\n1002-***-123456\n타행입금 50000 원\n홍길\n',
      expected: { amount: 50_000, depositor: '홍길', account: '3456' },
    },
    {
      sender: '15885000',
      body: '[우리은행] 12/06 14:23 입금 300,000원 (주)한빛 잔액 1,534,567원',
      expected: { amount: 300_000, depositor: '(주)한빛', balance: 1_534_567 },
    },
  ],
  HANA: [
    {
      sender: '15991111',
      body: '[Web발신]\n하나,12/06,14:23\n123-******-12345\n입금50,000원\n홍길동\n잔액1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '2345', balance: 1_234_567 },
    },
    {
      sender: '15991111',
      body: '[Web발신]\n[하나] 박*훈님 12/06 14:23 입금 50,000원 홍길동 잔액1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', balance: 1_234_567 },
    },
    {
      sender: '1599-1111',
      body: '최민수님이 10,000원을 보냈어요',
      expected: { amount: 10_000, depositor: '최민수', at: RECEIVED },
    },
  ],
  NH: [
    {
      sender: '15882100',
      body: '[Web발신]\n농협 입금50,000원\n12/06 14:23 352-****-1234-56 홍길동 잔액1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15882100',
      body: '[Web발신]\n농협 전자금융입금 1000000원\n12/06 14:23 352-****-1234-56 홍*동 잔액 1,500,000원',
      expected: { amount: 1_000_000, depositor: '홍*동', account: '3456', balance: 1_500_000 },
    },
    {
      sender: '15882100',
      body: '[NH] 김*준(8205) 12/06 14:23 입금 25,000원 이순신',
      expected: { amount: 25_000, depositor: '이순신', account: '8205' },
    },
  ],
  IBK: [
    {
      sender: '15662566',
      body: '[Web발신]\n[IBK기업]12/06 14:23\n입금 50,000원\n홍길동\n잔액1,234,567원\n123-******-01-011',
      expected: { amount: 50_000, depositor: '홍길동', account: '1011', balance: 1_234_567 },
    },
    {
      sender: '15662566',
      body: '[IBK] 12/06 14:23 입금 70,000 원 홍길동',
      expected: { amount: 70_000, depositor: '홍길동' },
    },
    {
      sender: '15662566',
      body: '[Web발신]\n[IBK기업] 박*훈님 12/06 14:23 123-******-01-011 입금 70,000원 홍길동 잔액 100,000원',
      expected: { amount: 70_000, depositor: '홍길동', account: '1011', balance: 100_000 },
    },
  ],
  KAKAOBANK: [
    {
      sender: '15993333',
      body: '[Web발신]\n[카카오뱅크] 김*준(8205) 12/06 14:23 입금 50,000원 홍길동 잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '8205', balance: 1_234_567 },
    },
    {
      sender: '카카오뱅크',
      body: '홍길동님이 50,000원을 보냈어요',
      expected: { amount: 50_000, depositor: '홍길동', at: RECEIVED },
    },
    {
      sender: 'com.kakaobank.channel',
      body: '입금 50,000원 홍*동 → 내 입출금통장(1234)',
      expected: { amount: 50_000, depositor: '홍*동', at: RECEIVED, account: '1234' },
    },
    {
      sender: 'com.kakaobank.channel',
      body: '입금 50,000원 홍*동 →\n내 입출금통장(1234)',
      expected: { amount: 50_000, depositor: '홍*동', at: RECEIVED, account: '1234' },
    },
  ],
  TOSSBANK: [
    {
      sender: '토스뱅크',
      body: '홍길동님이 50,000원을 입금했습니다',
      expected: { amount: 50_000, depositor: '홍길동', at: RECEIVED },
    },
    {
      sender: '16617654',
      body: '[Web발신]\n[토스뱅크] 12/06 14:23 입금 50,000원 홍길동 잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', balance: 1_234_567 },
    },
    {
      sender: 'viva.republica.toss',
      body: '입금 88,000원 | 박영희 → 내 토스뱅크 통장',
      expected: { amount: 88_000, depositor: '박영희', at: RECEIVED },
    },
  ],
  KBANK: [
    {
      sender: '15221000',
      body: '[Web발신]\n[케이뱅크] 12/06 14:23\n입금 50,000원\n홍길동\n잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', balance: 1_234_567 },
    },
    {
      sender: '15221000',
      body: '[케이뱅크] 12/06 14:23 100-***-123456 입금 5,000원 홍길동(보증금)',
      expected: { amount: 5_000, depositor: '홍길동', account: '3456' },
    },
    {
      sender: '케이뱅크',
      body: '정우성님이 1,000원을 보냈어요',
      expected: { amount: 1_000, depositor: '정우성', at: RECEIVED },
    },
  ],
  EPOST: [
    {
      sender: '15881900',
      body: '[Web발신]\n[우체국] 12/06 14:23\n123456-02-123456\n입금 50,000원\n홍길동\n잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15881900',
      body: '[우체국예금] 12/06 14:23 입금 9,900원 홍길동 잔액 10,000원',
      expected: { amount: 9_900, depositor: '홍길동', balance: 10_000 },
    },
    {
      sender: '15881900',
      body: '한지민님이 3,000,000원을 보냈어요',
      expected: { amount: 3_000_000, depositor: '한지민', at: RECEIVED },
    },
  ],
  CU: [
    {
      sender: '15666000',
      body: '[Web발신]\n[신협] 12/06 14:23 132-***-123456 입금 50,000원 홍길동 잔액1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15666000',
      body: '[Web발신]\n[신협] 12/06 14:23\n입금 50,000원\n 홍길동\n잔액1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', balance: 1_234_567 },
    },
    {
      sender: '15666000',
      body: '남궁민수님이 20,000원을 입금했습니다',
      expected: { amount: 20_000, depositor: '남궁민수', at: RECEIVED },
    },
  ],
  SC: [
    {
      sender: '15881599',
      body: '[Web발신]\n[SC제일] 12/06 14:23\n123-**-123456\n입금 50,000원\n홍길동\n잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '3456', balance: 1_234_567 },
    },
    {
      sender: '15881599',
      body: '[SC제일은행] 12/06 14:23 입금 50000 홍길동',
      expected: { amount: 50_000, depositor: '홍길동' },
    },
    {
      sender: '15881599',
      body: '윤*희님이 45,000원을 보냈어요',
      expected: { amount: 45_000, depositor: '윤*희', at: RECEIVED },
    },
  ],
  MG: [
    {
      sender: '15999000',
      body: '[Web발신]\n[MG새마을금고] 12/06 14:23 9002-****-1234 입금 50,000원 홍길동 잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', account: '1234', balance: 1_234_567 },
    },
    {
      sender: '15999000',
      body: '[새마을금고] 12/06 14:23\n입금 50,000원\n홍길동\n잔액 1,234,567원',
      expected: { amount: 50_000, depositor: '홍길동', balance: 1_234_567 },
    },
    {
      sender: '15999000',
      body: '강감찬님이 99,999,999원을 보냈어요',
      expected: { amount: 99_999_999, depositor: '강감찬', at: RECEIVED },
    },
  ],
};

describe('parseBankText reads deposits', () => {
  it('has at least three texts for every bank of the table', () => {
    expect(Object.keys(DEPOSITS).sort()).toEqual(BANKS.map((bank) => bank.code).sort());
    for (const cases of Object.values(DEPOSITS)) expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(Object.entries(DEPOSITS))('%s', (bank, cases) => {
    it.each(cases)('$body', ({ sender, body, expected }) => {
      expect(parseBankText({ sender, body, receivedAt: RECEIVED })).toEqual(deposit(bank, expected));
    });
  });

  it('reads a text from another sender by the bank name it prints, flagged as not from the bank', () => {
    const body = '[Web발신]\n신한12/06 14:23\n110-***-123456\n입금 50,000\n홍길동';
    expect(parseBankText({ sender: '010-1234-5678', body, receivedAt: RECEIVED })).toEqual(
      deposit('SHINHAN', { amount: 50_000, depositor: '홍길동', account: '3456' }, false),
    );
  });

  it("flags a text laid out as one bank's but sent by another bank", () => {
    const body = '[Web발신]\nKB국민 12/06 14:23\n123456**789\n홍길동\n입금\n50,000';
    expect(parseBankText({ sender: '15778000', body, receivedAt: RECEIVED })).toEqual(
      deposit('KB', { amount: 50_000, depositor: '홍길동', account: '789' }, false),
    );
  });

  it('reads an app-push sentence only from the bank that sends it', () => {
    const body = '홍길동님이 50,000원을 보냈어요';
    expect(parseBankText({ sender: 'acme-phone', body, receivedAt: RECEIVED })).toEqual({
      kind: 'IGNORED',
      reason: 'UNRECOGNISED',
    });
  });
});

describe('parseBankText dates a text', () => {
  const kb = (when: string) => `[Web발신]\nKB국민 ${when}\n123456**789\n홍길동\n입금\n50,000`;
  const at = (body: string, receivedAt: Date) => {
    const result = parseBankText({ sender: '15889999', body, receivedAt });
    return result.kind === 'DEPOSIT' ? result.occurredAt : result;
  };

  it("in last year when a 12/31 text is received on 01/01", () => {
    expect(at(kb('12/31 23:59'), seoul('2027-01-01T00:01:00'))).toEqual(seoul('2026-12-31T23:59:00'));
  });

  it('in next year when a phone a little behind receives a 01/01 text on 12/31', () => {
    expect(at(kb('01/01 00:00'), seoul('2026-12-31T23:59:00'))).toEqual(seoul('2027-01-01T00:00:00'));
  });

  it("in Korea's time zone whatever the day is in UTC", () => {
    expect(at(kb('12/06 08:00'), seoul('2026-12-06T08:01:00'))).toEqual(new Date('2026-12-05T23:00:00Z'));
  });

  it('at its receipt when the text prints no time', () => {
    const receivedAt = new Date('2026-03-01T01:02:03Z');
    expect(at('입금 50,000원 김철수 → KB국민 입출금(6789)', receivedAt)).toEqual(receivedAt);
  });

  it('refuses an impossible date', () => {
    expect(parseBankText({ sender: '15889999', body: kb('13/06 14:23'), receivedAt: RECEIVED })).toEqual({
      kind: 'IGNORED',
      reason: 'UNRECOGNISED',
      bank: 'KB',
    });
  });
});

const NOT_DEPOSITS: { sender: string; body: string; reason: string; bank?: string }[] = [
  {
    sender: '15889999',
    body: '[Web발신]\nKB국민 12/06 14:23\n123456**789\n홍길동\n출금\n50,000\n잔액1,234,567',
    reason: 'WITHDRAWAL',
    bank: 'KB',
  },
  {
    sender: '15882100',
    body: '[Web발신]\n농협 출금50,000원\n12/06 14:23 352-****-1234-56 홍길동 잔액1,184,567원',
    reason: 'WITHDRAWAL',
    bank: 'NH',
  },
  { sender: '15991111', body: '[하나] 12/06 14:23 ATM출금 100,000원 잔액 1,000,000원', reason: 'WITHDRAWAL', bank: 'HANA' },
  { sender: '토스뱅크', body: 'ATM에서 50,000원을 인출했어요', reason: 'WITHDRAWAL', bank: 'TOSSBANK' },
  {
    sender: '15778000',
    body: '[Web발신]\n신한12/06 14:23\n110-***-123456\n이체출금 50,000\n잔액 1,184,567\n 홍길동',
    reason: 'TRANSFER_OUT',
    bank: 'SHINHAN',
  },
  { sender: '카카오뱅크', body: '홍길동님께 50,000원을 보냈어요', reason: 'TRANSFER_OUT', bank: 'KAKAOBANK' },
  { sender: '토스뱅크', body: '김철수님에게 30,000원을 보냈어요', reason: 'TRANSFER_OUT', bank: 'TOSSBANK' },
  {
    sender: '15447200',
    body: '[Web발신]\n신한카드(1234)승인 홍*동 50,000원(일시불)12/06 14:23 스타벅스 누적1,234,567원',
    reason: 'CARD',
    bank: 'SHINHAN',
  },
  {
    sender: '15881688',
    body: '[Web발신]\nKB국민카드1234취소\n홍*동님\n12/06 14:23\n50,000원\n쿠팡',
    reason: 'CARD',
    bank: 'KB',
  },
  { sender: '15776200', body: '[Web발신]\n[현대카드] 승인취소 홍길동 50,000원 12/06 14:23', reason: 'CARD' },
  {
    sender: '15881900',
    body: '[우체국] 체크카드 12/06 14:23 입금 15,000원 홍길동 GS25',
    reason: 'CARD',
    bank: 'EPOST',
  },
  {
    sender: '15882100',
    body: '[Web발신]\n농협 입금취소50,000원\n12/06 14:23 352-****-1234-56 홍길동 잔액1,184,567원',
    reason: 'CANCELLED',
    bank: 'NH',
  },
  {
    sender: '15889999',
    body: '[Web발신]\n[KB국민] 인증번호 [482913] 홍길동님 입금 50,000원 확인을 위해 입력해주세요',
    reason: 'OTP',
    bank: 'KB',
  },
  { sender: '토스', body: '[토스] 인증번호 123456 홍길동님이 50,000원을 보냈어요', reason: 'OTP', bank: 'TOSSBANK' },
  {
    sender: '15885000',
    body: '[Web발신]\n[우리은행] 12/06 09:00 1002-***-123456 잔액 1,234,567원',
    reason: 'BALANCE_NOTICE',
    bank: 'WOORI',
  },
  {
    sender: '0215778000',
    body: '(광고)[신한] 12/06 14:23 입금 50,000원 홍길동 축하 이벤트! 무료거부 0800000000',
    reason: 'ADVERTISEMENT',
    bank: 'SHINHAN',
  },
  {
    sender: '카카오뱅크',
    body: '[Web발신]\n[광고] 홍길동님이 50,000원을 보냈어요 26주적금으로 모아보세요',
    reason: 'ADVERTISEMENT',
    bank: 'KAKAOBANK',
  },
  { sender: '01012345678', body: '안녕하세요 홍길동입니다 50,000원 보내드렸어요', reason: 'UNRECOGNISED' },
  // An amount running into more digits, and an app push without a name, are no deposit.
  { sender: '토스뱅크', body: '입금 88,00088원 | 박영희 → 내 토스뱅크 통장', reason: 'UNRECOGNISED', bank: 'TOSSBANK' },
  { sender: '토스뱅크', body: '입금 88,000원 | → 내 토스뱅크 통장', reason: 'UNRECOGNISED', bank: 'TOSSBANK' },
];

describe('parseBankText sets aside texts that are not deposits', () => {
  it('has at least fifteen of them', () => {
    expect(NOT_DEPOSITS.length).toBeGreaterThanOrEqual(15);
  });

  it.each(NOT_DEPOSITS)('$reason: $body', ({ sender, body, reason, bank }) => {
    expect(parseBankText({ sender, body, receivedAt: RECEIVED })).toEqual({
      kind: 'IGNORED',
      reason,
      ...(bank ? { bank } : {}),
    });
  });
});

describe('brand-configured patterns', () => {
  const kwangju = customPattern(
    'KWANGJU',
    String.raw`^\[광주은행\]\s*(?<month>\d{2})\/(?<day>\d{2})\s+(?<hour>\d{2}):(?<minute>\d{2})\s+입금\s*(?<amount>[\d,]+)원\s+(?<depositor>\S+)(?:\s+잔액\s*(?<balance>[\d,]+)원)?$`,
    ['1588-4000'],
  );

  it('read a bank the table lacks', () => {
    const body = '[Web발신]\n[광주은행] 12/06 14:23 입금 50,000원 홍길동 잔액 60,000원';
    expect(parseBankText({ sender: '15884000', body, receivedAt: RECEIVED, customPatterns: [kwangju] })).toEqual(
      deposit('KWANGJU', { amount: 50_000, depositor: '홍길동', balance: 60_000 }),
    );
    expect(parseBankText({ sender: '01012345678', body, receivedAt: RECEIVED, customPatterns: [kwangju] })).toEqual(
      deposit('KWANGJU', { amount: 50_000, depositor: '홍길동', balance: 60_000 }, false),
    );
  });

  it('never read what is set aside', () => {
    const body = '[광주은행] 12/06 14:23 입금 50,000원 승인 잔액 60,000원';
    expect(parseBankText({ sender: '15884000', body, receivedAt: RECEIVED, customPatterns: [kwangju] })).toEqual({
      kind: 'IGNORED',
      reason: 'CARD',
    });
  });

  it('are refused without an amount and a depositor group', () => {
    expect(() => customPattern('X', String.raw`^(?<amount>\d+)원$`)).toThrow(/depositor/);
    expect(() => customPattern('X', '(?<amount>[')).toThrow();
  });
});

describe('nameMatches', () => {
  it.each([
    ['홍길동', '홍길동', true],
    ['홍*동', '홍길동', true],
    ['*길*', '홍길동', true],
    ['홍길', '홍길동', true],
    [' 홍 길동', '홍길동', true],
    ['홍*동', '홍길순', false],
    ['홍길동', '홍길', false],
    ['김길동', '홍길동', false],
    ['', '홍길동', false],
  ])('%s ~ %s: %s', (pattern, fullName, expected) => {
    expect(nameMatches(pattern, fullName)).toBe(expected);
  });
});
