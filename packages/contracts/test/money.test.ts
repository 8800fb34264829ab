import { describe, expect, it } from 'vitest';
import { formatMoney, MoneyFormatError, parseMoney } from '../src/money';

describe('parseMoney', () => {
  it('reads USD amounts with up to two decimals exactly', () => {
    expect(parseMoney('10.5', 'USD')).toBe(1050n);
    expect(parseMoney('10.50', 'USD')).toBe(1050n);
    expect(parseMoney('10', 'USD')).toBe(1000n);
    expect(parseMoney('0.01', 'USD')).toBe(1n);
  });

  it('refuses amounts that are not exact in the currency', () => {
    expect(() => parseMoney('10.505', 'USD')).toThrow(MoneyFormatError);
    expect(() => parseMoney('1.5', 'KRW')).toThrow(/no decimals/);
    expect(() => parseMoney('1.0', 'KRW')).toThrow(MoneyFormatError);
  });

  it.each(['-1', '0', '0.00', '1e3', '1E3', ' 1', '1 ', '', '.5', '5.', '+5', '0x10', 'NaN', 'Infinity', '1,000'])(
    'refuses %j',
    (input) => {
      expect(() => parseMoney(input, 'USD')).toThrow(MoneyFormatError);
    },
  );

  it('refuses huge values', () => {
    expect(() => parseMoney('10000000000000.01', 'USD')).toThrow(/too large/);
    expect(parseMoney('10000000000000', 'USD')).toBe(10n ** 15n);
  });

  it('accepts zero only when asked to', () => {
    expect(parseMoney('0', 'USD', { allowZero: true })).toBe(0n);
  });

  it('refuses an unknown currency', () => {
    expect(() => parseMoney('1', 'XXX')).toThrow(/unsupported currency/);
  });
});

describe('formatMoney', () => {
  it('prints exactly the minor digits of the currency', () => {
    expect(formatMoney(0n, 'USD')).toBe('0.00');
    expect(formatMoney(5n, 'USD')).toBe('0.05');
    expect(formatMoney(123456n, 'USD')).toBe('1234.56');
    expect(formatMoney(-105n, 'USD')).toBe('-1.05');
    expect(formatMoney(0n, 'KRW')).toBe('0');
    expect(formatMoney(50000n, 'KRW')).toBe('50000');
  });

  it('round-trips with parseMoney', () => {
    for (const value of ['0.01', '9.99', '1000000.00', '12345678901.23']) {
      expect(formatMoney(parseMoney(value, 'USD'), 'USD')).toBe(value);
    }
  });
});
