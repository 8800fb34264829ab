/**
 * Money is integer minor units (bigint) inside the platform and a decimal string in
 * major units at every edge. Conversion is exact: no floats anywhere.
 */

import { badUserInput } from './errors';

/** ISO 4217 minor digits of the currencies a brand may use. */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  KRW: 0,
  JPY: 0,
  VND: 0,
};

/** Largest amount accepted at an edge: 10^15 minor units keeps every sum far inside BIGINT. */
/** The largest amount any single movement may carry, in minor units: far below bigint's range, so sums cannot overflow. */
export const MAX_MINOR = 10n ** 15n;

export class MoneyFormatError extends Error {
  override readonly name = 'MoneyFormatError';
}

export function isSupportedCurrency(currency: string): boolean {
  return Object.hasOwn(MINOR_DIGITS, currency);
}

export function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new MoneyFormatError(`unsupported currency ${currency}`);
  return digits;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export interface ParseMoneyOptions {
  /** Zero is refused unless allowed (a provider's zero win is a legitimate amount). */
  allowZero?: boolean;
}

/** Parses a positive decimal string in major units into minor units, refusing anything inexact. */
export function parseMoney(input: string, currency: string, { allowZero = false }: ParseMoneyOptions = {}): bigint {
  const digits = minorDigits(currency);
  const match = DECIMAL.exec(input);
  if (!match) throw new MoneyFormatError(`"${input}" is not a plain decimal amount`);
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > digits) {
    throw new MoneyFormatError(
      digits === 0
        ? `${currency} amounts take no decimals`
        : `${currency} amounts take at most ${digits} decimals`,
    );
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (minor > MAX_MINOR) throw new MoneyFormatError(`amount ${input} is too large`);
  if (minor === 0n && !allowZero) throw new MoneyFormatError('amount must be greater than zero');
  return minor;
}

/** An amount given at an API edge (`name` prefixes the message when given): anything inexact is BAD_USER_INPUT. */
export function parseMoneyInput(input: string, currency: string, { name, ...options }: ParseMoneyOptions & { name?: string } = {}): bigint {
  try {
    return parseMoney(input, currency, options);
  } catch (error) {
    if (error instanceof MoneyFormatError) throw badUserInput(name ? `${name}: ${error.message}` : error.message);
    throw error;
  }
}

/** Formats minor units as a decimal string with exactly the currency's minor digits. */
export function formatMoney(minor: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0n ? '-' : '';
  const abs = (minor < 0n ? -minor : minor).toString();
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
